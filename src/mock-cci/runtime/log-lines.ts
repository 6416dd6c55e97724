// Container logs as the kubelet keeps them: one record per line with a nanosecond timestamp,
// per container instance, so that every option of `kubectl logs` (since, tail, timestamps,
// limitBytes, previous, follow) can be answered exactly. Selection and formatting are pure.

export interface LogLine {
  /** Wall-clock time in nanoseconds since the epoch. */
  ns: bigint;
  stream: 'stdout' | 'stderr';
  /** The line's bytes, including its trailing newline when it had one. */
  data: Buffer;
}

export interface LogSelection {
  /** Only lines at or after this time (ns since epoch). */
  sinceNs?: bigint;
  /** Only the last N lines (applied after since). */
  tailLines?: number;
}

const wallBaseNs = BigInt(Date.now()) * 1_000_000n;
const monoBase = process.hrtime.bigint();

/** Now, in nanoseconds since the epoch, monotonic within this process. */
export function nowNs(): bigint {
  return wallBaseNs + (process.hrtime.bigint() - monoBase);
}

/** Go's time.RFC3339Nano in UTC: fractional seconds with trailing zeros removed. */
export function formatRfc3339Nano(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const base = new Date(Number(ms)).toISOString().slice(0, 19);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${base}${frac === '' ? '' : '.' + frac}Z`;
}

/** Parses an RFC 3339 time (with optional fraction up to ns) into ns since the epoch. */
export function parseRfc3339(text: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
  if (!m || Number.isNaN(ms)) throw new Error(`${JSON.stringify(text)} is not an RFC 3339 time`);
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

export function selectLines(lines: readonly LogLine[], sel: LogSelection): LogLine[] {
  let out = sel.sinceNs === undefined ? lines.slice() : lines.filter((l) => l.ns >= sel.sinceNs!);
  if (sel.tailLines !== undefined) out = sel.tailLines <= 0 ? [] : out.slice(-sel.tailLines);
  return out;
}

export function formatLine(line: LogLine, timestamps: boolean): Buffer {
  return timestamps ? Buffer.concat([Buffer.from(formatRfc3339Nano(line.ns) + ' '), line.data]) : line.data;
}

/** Caps a byte stream at limitBytes: returns the part of `chunk` that still fits. */
export class ByteLimit {
  #left: number;
  constructor(limit: number | undefined) {
    this.#left = limit ?? Infinity;
  }
  get exhausted(): boolean {
    return this.#left <= 0;
  }
  take(chunk: Buffer): Buffer {
    if (chunk.length <= this.#left) {
      this.#left -= chunk.length;
      return chunk;
    }
    const part = chunk.subarray(0, Math.max(0, this.#left));
    this.#left = 0;
    return part;
  }
}

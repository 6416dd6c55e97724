// Why a burst pod's networking sidecar is not ready, in its own words: the last warning or error
// it logged (pino JSON lines on stderr, which CCI keeps as the container's log), so the pod's
// NetworkReady condition and a Warning event can carry it where users look.
import type { Readable } from 'node:stream';
import { SIDECAR_CONTAINER_NAME } from './sidecar-injection.ts';

/** How much of the sidecar's log is read: its last lines, bounded in bytes. */
const TAIL_LINES = 100;
const LIMIT_BYTES = 32 * 1024;
const MAX_MESSAGE = 512;
const PINO_WARN = 40;

/** The last warning or error in the log text, as "<message>: <error>"; undefined when there is none. */
export function lastSidecarError(log: string): string | undefined {
  const lines = log.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (!line.startsWith('{')) continue;
    let entry: { level?: unknown; msg?: unknown; err?: unknown };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    if (typeof entry.level !== 'number' || entry.level < PINO_WARN || typeof entry.msg !== 'string') continue;
    const err = typeof entry.err === 'string' ? entry.err : typeof (entry.err as { message?: unknown } | undefined)?.message === 'string' ? (entry.err as { message: string }).message : undefined;
    const text = err ? `${entry.msg}: ${err}` : entry.msg;
    return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
  }
  return undefined;
}

export interface SidecarLogSource {
  logs(name: string, opts: { container: string; tailLines: number; limitBytes: number }): Promise<Readable>;
}

/** Reads the tail of the sidecar's log in the CCI pod `cciName` and returns its last error. */
export async function readSidecarError(cci: SidecarLogSource, cciName: string): Promise<string | undefined> {
  const stream = await cci.logs(cciName, { container: SIDECAR_CONTAINER_NAME, tailLines: TAIL_LINES, limitBytes: LIMIT_BYTES });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= LIMIT_BYTES) break;
  }
  stream.destroy();
  return lastSidecarError(Buffer.concat(chunks).toString('utf8'));
}

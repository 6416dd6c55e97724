// The log of one container instance: stdout/stderr split into timestamped lines as they
// arrive, bounded in memory (oldest lines dropped, like a rotated log), and observable by
// followers until the instance ends.
import { EventEmitter } from 'node:events';
import { nowNs, type LogLine } from './log-lines.ts';

const MAX_BYTES = 2 * 1024 * 1024;

export interface ContainerLogEvents {
  line: [LogLine];
  end: [];
}

export class ContainerLog extends EventEmitter<ContainerLogEvents> {
  readonly lines: LogLine[] = [];
  #bytes = 0;
  #partial: Record<LogLine['stream'], Buffer | null> = { stdout: null, stderr: null };
  #ended = false;

  get ended(): boolean {
    return this.#ended;
  }

  write(stream: LogLine['stream'], chunk: Buffer): void {
    if (this.#ended) return;
    let data = this.#partial[stream] ? Buffer.concat([this.#partial[stream], chunk]) : chunk;
    this.#partial[stream] = null;
    for (let nl = data.indexOf(10); nl !== -1; nl = data.indexOf(10)) {
      this.#push({ ns: nowNs(), stream, data: data.subarray(0, nl + 1) });
      data = data.subarray(nl + 1);
    }
    if (data.length > 0) this.#partial[stream] = Buffer.from(data);
  }

  /** The instance is over: pending partial lines are flushed and followers are released. */
  end(): void {
    if (this.#ended) return;
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.#partial[stream];
      if (rest) this.#push({ ns: nowNs(), stream, data: rest });
      this.#partial[stream] = null;
    }
    this.#ended = true;
    this.emit('end');
  }

  #push(line: LogLine): void {
    this.lines.push(line);
    this.#bytes += line.data.length;
    while (this.#bytes > MAX_BYTES && this.lines.length > 1) this.#bytes -= this.lines.shift()!.data.length;
    this.emit('line', line);
  }
}

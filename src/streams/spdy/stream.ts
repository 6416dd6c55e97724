// One SPDY stream as a Node Duplex: writes become DATA frames, end() sends FIN (half-close),
// the peer's FIN ends the readable side, RST_STREAM destroys it.
import { Duplex } from 'node:stream';
import { endAfterBuffered } from '../stream-end.ts';
import type { SpdyHeaders } from './frames.ts';

/** What a stream needs from its session; kept narrow so the two files do not tangle. */
export interface StreamOwner {
  /** `cb` runs once the socket has taken the bytes (the chunks are free again). */
  sendData(streamId: number, chunks: readonly Buffer[], fin: boolean, cb: (err?: Error | null) => void): void;
  sendReset(streamId: number): void;
  unblock(stream: SpdyStream): void;
  block(stream: SpdyStream): void;
  forget(stream: SpdyStream): void;
}

export class SpdyStream extends Duplex {
  readonly id: number;
  /** The headers of the SYN_STREAM that opened this stream. */
  readonly headers: SpdyHeaders;
  private readonly owner: StreamOwner;
  private localClosed = false;
  private remoteClosed = false;
  private wasReset = false;

  get reset(): boolean {
    return this.wasReset;
  }

  constructor(owner: StreamOwner, id: number, headers: SpdyHeaders) {
    super({ allowHalfOpen: true, highWaterMark: 256 * 1024 });
    this.owner = owner;
    this.id = id;
    this.headers = headers;
  }

  /** Convenience: one header of the opening frame (names are lowercase on the wire). */
  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()];
  }

  // Chunks written while the previous ones are still on their way go out together.
  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    if (this.wasReset) return cb(); // the peer stopped listening; the 'reset' event told the owner
    this.owner.sendData(this.id, chunks.map((c) => c.chunk), false, cb);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this._writev([{ chunk }], cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.wasReset || this.localClosed) return cb();
    this.localClosed = true;
    this.owner.sendData(this.id, [], true, (err) => {
      this.maybeForget();
      cb(err);
    });
  }

  override _read(): void {
    this.owner.unblock(this);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.wasReset && !(this.localClosed && this.remoteClosed)) this.owner.sendReset(this.id);
    this.owner.forget(this);
    cb(err);
  }

  /** Marks the local side closed without sending anything (the opening frame carried FIN). */
  markLocalClosed(): void {
    this.localClosed = true;
  }

  onData(data: Buffer, fin: boolean): void {
    if (this.remoteClosed || this.destroyed) return;
    if (data.length > 0 && !this.push(data)) this.owner.block(this);
    if (fin) this.onRemoteFin();
  }

  onRemoteFin(): void {
    if (this.remoteClosed) return;
    this.remoteClosed = true;
    this.push(null);
    this.maybeForget();
  }

  onReset(): void {
    this.wasReset = true;
    this.remoteClosed = true;
    this.localClosed = true;
    // The peer is done with this stream: readers see EOF (as spdystream's do), writes go nowhere.
    if (!this.readableEnded) this.push(null);
    this.owner.forget(this);
    this.emit('reset');
  }

  /** The connection is gone: what arrived stays readable (a slow reader still gets the data and FIN the peer sent before closing). */
  onConnectionClosed(): void {
    this.onReset();
    endAfterBuffered(this);
  }

  private maybeForget(): void {
    if (this.localClosed && this.remoteClosed) this.owner.forget(this);
  }
}

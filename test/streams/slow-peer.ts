// A socket stand-in for a peer that reads slowly: its writes complete only when the test calls
// `flush()`. A large `bufferBytes` lets every write through at once (the peer's kernel buffer had
// room), so the other side never waits and closes while the bytes are still queued here.
import { Duplex } from 'node:stream';

export interface SlowPeer {
  socket: Duplex;
  /** What the peer has taken, in order. */
  received: Buffer[];
  /** Completes every write queued so far, and those they let through. */
  flush: () => void;
}

export function slowPeer(bufferBytes?: number): SlowPeer {
  const received: Buffer[] = [];
  const pending: (() => void)[] = [];
  const socket = new Duplex({
    writableHighWaterMark: bufferBytes,
    read() {},
    write(chunk: Buffer, _enc, cb) {
      pending.push(() => (received.push(chunk), cb()));
    },
  });
  const flush = (): void => {
    while (pending.length > 0) pending.shift()!();
  };
  return { socket, received, flush };
}

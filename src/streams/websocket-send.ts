// Writing to a WebSocket with a Writable's backpressure: `ws` queues whatever it is given, so
// writers wait once enough is queued.
import type { WebSocket } from 'ws';

/** Bytes queued in `ws` before a writer waits for the socket to drain. */
export const SEND_HIGH_WATER = 1 << 20;

/**
 * Sends `message`, then calls `done` at once while `ws` has room, else once the message is
 * written. `written` runs once the message is written either way (its buffer is free again).
 */
export function sendPaced(ws: WebSocket, message: Buffer | string, done: () => void, written?: () => void): void {
  const wait = ws.bufferedAmount + message.length > SEND_HIGH_WATER;
  ws.send(message, () => {
    written?.();
    if (wait) done();
  });
  if (!wait) done();
}

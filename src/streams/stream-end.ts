// Ending a stream whose connection is gone without losing what it already received.
import type { Duplex, Writable } from 'node:stream';

/**
 * Ends the readable side after what it buffered and frees the stream once that has been read.
 * Destroying it at once would drop the data, and a stream destroyed after EOF was pushed never
 * emits 'end', which leaves a pipeline() from it waiting forever.
 */
export function endAfterBuffered(stream: Duplex): void {
  if (stream.destroyed) return;
  stream.push(null);
  if (stream.readableEnded) stream.destroy();
  else stream.once('end', () => stream.destroy());
}

/**
 * Ends the writable side after what was written to it and frees the stream once that is flushed:
 * a slow reader on the far side still gets every byte, then FIN.
 */
export function endAfterWritten(stream: Writable): void {
  if (stream.destroyed) return;
  stream.end();
  if (stream.writableFinished) stream.destroy();
  else stream.once('finish', () => stream.destroy());
}

// Moving a backend's output into a client's stream, and freeing each chunk's memory the moment
// it is written instead of when the garbage collector gets to it: a stream of fresh 64 KiB
// buffers is almost all external memory, which makes V8 run full collections (a fifth of the
// kubelet's CPU in an exec at 200 MiB/s).
import type { Readable, Writable } from 'node:stream';

/** True when `view` spans its whole ArrayBuffer (not a slice of a pool or of a larger read). */
export function ownsMemory(view: Uint8Array): boolean {
  return view.byteOffset === 0 && view.byteLength === view.buffer.byteLength;
}

/**
 * Frees the memory under `view` now by detaching its ArrayBuffer (every view of it becomes
 * empty). Only for the one who knows that no other view of that memory is still in use.
 */
export function freeMemory(view: Uint8Array): void {
  const buffer = view.buffer;
  if (buffer instanceof ArrayBuffer && !buffer.detached) buffer.transfer(0);
}

/** Frees a chunk that nothing else refers to (a read from a pipe of our own) unless it is a slice. */
export function freeUnlessSlice(chunk: Uint8Array): void {
  if (ownsMemory(chunk)) freeMemory(chunk);
}

/**
 * Writes what `from` yields to `to`, without ending `to`, pausing `from` while `to` is full.
 * Each chunk goes to `written` once `to` has called back for it: the writers here (sockets, SPDY
 * streams, WebSocket channels) hold no reference after that, so the chunk's owner may free it.
 * Settles when `from` ends or goes away, or when `to` does; what `to` can no longer take is
 * read and dropped, so the producer never stalls on a reader that left.
 */
export function forwardChunks(from: Readable, to: Writable, written?: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve) => {
    let waiting = false;
    const resume = (): void => {
      waiting = false;
      from.resume();
    };
    const onData = (chunk: Buffer): void => {
      const ok = to.write(chunk, written && ((err) => err || written(chunk)));
      if (ok || waiting) return;
      waiting = true;
      from.pause();
      to.once('drain', resume);
    };
    const done = (): void => {
      from.off('data', onData).off('end', done).off('close', done).off('error', done);
      to.off('drain', resume).off('close', done).off('error', done);
      from.on('error', () => undefined);
      from.resume();
      resolve();
    };
    if (to.destroyed || from.destroyed || from.readableEnded) return done();
    from.on('data', onData).once('end', done).once('close', done).once('error', done);
    to.once('close', done).once('error', done);
  });
}

// The backend→client relay of the TCP proxy (relayReads): reads land in one shared buffer, so
// reading must stop while a chunk is queued and start again once it is written.
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { relayReads } from '../../src/sidecar/tcp-proxy.ts';

/** A client socket that takes each chunk a little later, as a socket whose peer reads slowly. */
function slowClient(highWaterMark: number): { client: Writable; received: Buffer[] } {
  const received: Buffer[] = [];
  const client = new Writable({
    highWaterMark,
    write(chunk: Buffer, _enc, cb) {
      // Copy when the chunk is finally "sent", as the kernel would: a reused buffer shows here.
      setTimeout(() => {
        received.push(Buffer.from(chunk));
        cb();
      }, 1);
    },
  });
  return { client, received };
}

/** Plays libuv's part: reads `chunks` one by one into one buffer, stopping while the callback says so. */
async function readInto(chunks: Buffer[], relay: (n: number, buf: Buffer) => boolean, resumed: () => Promise<void>): Promise<void> {
  const shared = Buffer.alloc(64 * 1024);
  for (const chunk of chunks) {
    chunk.copy(shared);
    if (!relay(chunk.length, shared)) await resumed();
  }
}

const sha = (parts: Buffer[]): string => createHash('sha256').update(Buffer.concat(parts)).digest('hex');

describe('relayReads', () => {
  it.each([
    ['reads smaller than the high-water mark (queued without write() returning false)', 1024],
    ['reads larger than the high-water mark', 40 * 1024],
  ])('%s: reading resumes after each queued write, and every byte arrives as read', async (_name, size) => {
    const { client, received } = slowClient(16 * 1024);
    let wake: () => void = () => {};
    const relay = relayReads(client, () => wake());
    const chunks = Array.from({ length: 50 }, (_, i) => Buffer.alloc(size, i));
    const resumed = (): Promise<void> => new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('reading was never resumed')), 2000);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    await readInto(chunks, relay, resumed);
    await new Promise<void>((r) => client.end(r));
    expect(sha(received)).toBe(sha(chunks));
  });

  it('keeps reading without a pause when the socket took the chunk at once', () => {
    const taken: Buffer[] = [];
    let resumes = 0;
    const client = { destroyed: false, writableLength: 0, write: (c: Buffer) => taken.push(Buffer.from(c)) > 0 };
    const relay = relayReads(client as never, () => resumes++);
    expect(relay(3, Buffer.from('abcdef'))).toBe(true);
    expect(taken.map(String)).toEqual(['abc']);
    expect(resumes).toBe(0);
  });

  it('stops for good when the client is gone or its write fails', async () => {
    let resumes = 0;
    expect(relayReads({ destroyed: true, writableLength: 0, write: () => true } as never, () => resumes++)(1, Buffer.from('x'))).toBe(false);
    const failing = new Writable({ write: (_c, _e, cb) => setTimeout(() => cb(new Error('EPIPE')), 1) });
    failing.on('error', () => {});
    expect(relayReads(failing, () => resumes++)(1, Buffer.from('x'))).toBe(false);
    await new Promise((r) => setTimeout(r, 20));
    expect(resumes).toBe(0);
  });
});

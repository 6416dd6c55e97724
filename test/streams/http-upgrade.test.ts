import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { spliceSockets } from '../../src/streams/http-upgrade.ts';
import { slowPeer } from './slow-peer.ts';

describe('spliceSockets', () => {
  it('a side that sends its last bytes and closes: the other side still gets them all, then FIN', async () => {
    const slow = slowPeer();
    const closing = new Duplex({ read() {}, write: (_c, _e, cb) => cb() });
    spliceSockets(slow.socket, closing);
    const payload = Buffer.alloc(256 << 10, 7);
    closing.push(payload);
    closing.push(null);
    closing.end();
    await new Promise((resolve) => closing.once('close', resolve));
    const done = new Promise((resolve) => {
      slow.socket.once('finish', () => resolve('finished'));
      slow.socket.once('close', () => resolve('closed'));
    });
    slow.flush();
    expect(await done).toBe('finished');
    expect(Buffer.concat(slow.received).equals(payload)).toBe(true);
  });

  it('a side that fails takes the other down at once', async () => {
    const a = slowPeer();
    const b = new Duplex({ read() {}, write: (_c, _e, cb) => cb() });
    spliceSockets(a.socket, b);
    b.destroy(new Error('connection reset'));
    await new Promise((resolve) => a.socket.once('close', resolve));
    expect(a.socket.destroyed).toBe(true);
  });
});

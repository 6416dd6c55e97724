import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createLogger } from '../../src/log/logger.ts';
import { DirectoryClient } from '../../src/sidecar/directory-client.ts';

const log = createLogger('silent', 'test');
const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

describe('DirectoryClient', () => {
  it('replaces a connection that has gone silent, and reconnects after a close, with backoff', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    closers.push(() => wss.close());
    let connections = 0;
    wss.on('connection', () => connections++); // accepts, then says nothing: a dead peer
    const { port } = wss.address() as { port: number };
    const client = new DirectoryClient({
      url: `ws://127.0.0.1:${port}/`, podUid: 'p', credential: 'c', log, onTable: () => {},
      livenessMs: 150, minBackoffMs: 20, maxBackoffMs: 40,
    });
    client.start();
    closers.push(() => client.stop());
    const end = Date.now() + 3000;
    while (connections < 3 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(connections).toBeGreaterThanOrEqual(3);
  });
});

import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { freeUnlessSlice } from '../../src/streams/chunk-forward.ts';
import { acceptRemoteCommand, bridgeRemoteCommand, type RemoteCommandClient, type RemoteCommandOptions } from '../../src/streams/remote-command.ts';
import { openSpdyRemoteCommand, REMOTE_COMMAND_SPDY_PROTOCOLS } from '../../src/streams/spdy/remote-command.ts';
import { dialSpdy } from '../../src/streams/spdy/upgrade.ts';
import { REMOTE_COMMAND_WS_PROTOCOLS, WS_PROTOCOL } from '../../src/streams/websocket-channels.ts';
import { openWebSocketRemoteCommand, serveWebSocketRemoteCommand } from '../../src/streams/websocket-remote-command.ts';
import { acceptWebSocket } from '../../src/streams/websocket-upgrade.ts';

// The kubelet's exec path: a client's session bridged to a backend whose output chunks it frees
// once written. The client reads slowly, so that written chunks queue in the sockets on the way:
// one freed (or reused) while still queued would arrive empty and the checksum would not match.

const payload = randomBytes(16 << 20);
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const OPTIONS: RemoteCommandOptions = { stdin: false, stdout: true, stderr: true, tty: false };

/** Counts the chunks a client's release() actually freed. */
function counting(client: RemoteCommandClient): { client: RemoteCommandClient; freed: () => number } {
  let freed = 0;
  const release = (chunk: Buffer): void => {
    client.release?.(chunk);
    if ((chunk.buffer as ArrayBuffer).detached) freed++;
  };
  return { client: { ...client, release }, freed: () => freed };
}

/** A backend like a child process: the payload in fresh 64 KiB reads that it alone refers to. */
function pipeBackend(): RemoteCommandClient {
  let at = 0;
  const stdout = new Readable({
    read() {
      this.push(at < payload.length ? Buffer.from(payload.subarray(at, (at += 64 << 10))) : null);
    },
  });
  const stderr = Readable.from([]);
  const result = new Promise<{ exitCode: number }>((resolve) => stdout.once('end', () => resolve({ exitCode: 0 })));
  return { protocol: 'test', stdin: null, stdout, stderr, result, resize: () => undefined, close: () => stdout.destroy(), release: freeUnlessSlice };
}

let server: Server;
let base: string;
let backend: () => Promise<RemoteCommandClient>;
let freedByBackend: () => number;

beforeAll(async () => {
  server = createServer();
  server.on('upgrade', (req, socket, head) => {
    if (req.url === '/cci') {
      // A CCI stand-in: the payload as WebSocket messages of a pipe's varied read sizes, written
      // as fast as they are taken; small ones arrive several to a socket read, big ones span reads.
      void acceptWebSocket(req, socket, head, REMOTE_COMMAND_WS_PROTOCOLS).then((ws) => {
        if (!ws) return;
        const session = serveWebSocketRemoteCommand(ws, OPTIONS);
        const reads: Buffer[] = [];
        for (let at = 0, i = 0; at < payload.length; i++) reads.push(payload.subarray(at, (at += [65536, 700, 12000, 40000, 3000][i % 5]!)));
        Readable.from(reads).pipe(session.stdout!).once('finish', () => void session.finish({ exitCode: 0 }));
      });
      return;
    }
    void acceptRemoteCommand(req, socket, head, OPTIONS).then(async (session) => {
      if (!session) return;
      const counted = counting(await backend());
      freedByBackend = counted.freed;
      await bridgeRemoteCommand(session, counted.client);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** Reads nothing for a while, then stops now and then. */
function readSlowly(stream: Readable): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    stream.pause();
    setTimeout(() => stream.resume(), 300);
    stream.on('data', (d: Buffer) => {
      chunks.push(d);
      if (chunks.length % 8 === 0) {
        stream.pause();
        setTimeout(() => stream.resume(), 2);
      }
    });
    stream.once('end', () => resolve(Buffer.concat(chunks)));
  });
}

async function execOver(protocol: 'spdy' | 'ws'): Promise<Buffer> {
  const client = protocol === 'spdy'
    ? await dialSpdy({ url: new URL('/exec', base), protocols: REMOTE_COMMAND_SPDY_PROTOCOLS }).then(({ session, protocol: p }) => openSpdyRemoteCommand(session, p, OPTIONS))
    : await openWebSocketRemoteCommand(new WebSocket(`${base.replace('http:', 'ws:')}/exec`, [WS_PROTOCOL.v5]), OPTIONS);
  const [out, , result] = await Promise.all([readSlowly(client.stdout!), readSlowly(client.stderr!), client.result]);
  expect(result).toEqual({ exitCode: 0 });
  return out;
}

describe('exec output freed once written', () => {
  for (const protocol of ['spdy', 'ws'] as const) {
    it(`${protocol}: a pipe backend's 16 MiB arrive intact at a slow reader`, async () => {
      backend = async () => pipeBackend();
      const out = await execOver(protocol);
      expect(out.length).toBe(payload.length);
      expect(sha(out)).toBe(sha(payload));
      expect(freedByBackend()).toBe(256);
    });

    it(`${protocol}: a WebSocket backend's (CCI's) 16 MiB arrive intact at a slow reader`, async () => {
      backend = () => openWebSocketRemoteCommand(new WebSocket(`${base.replace('http:', 'ws:')}/cci`, [WS_PROTOCOL.v5], { perMessageDeflate: false }), OPTIONS);
      const out = await execOver(protocol);
      expect(out.length).toBe(payload.length);
      expect(sha(out)).toBe(sha(payload));
      expect(freedByBackend()).toBeGreaterThan(0);
    });
  }
});

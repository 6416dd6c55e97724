import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { RemoteCommandSession } from '../../src/streams/remote-command.ts';
import { REMOTE_COMMAND_WS_PROTOCOLS, WS_PROTOCOL } from '../../src/streams/websocket-channels.ts';
import { openWebSocketRemoteCommand, serveWebSocketRemoteCommand } from '../../src/streams/websocket-remote-command.ts';
import { acceptWebSocket } from '../../src/streams/websocket-upgrade.ts';

// A toy backend: echoes stdin to stdout (until EOF or `limit` bytes, since pre-v5 clients cannot
// half-close), writes "err" to stderr, reports a resize on stdout, exits with the given code.
async function backend(session: RemoteCommandSession, exitCode: number, limit: number): Promise<void> {
  if (session.resizes) {
    for await (const size of session.resizes) {
      session.stdout!.write(`size ${size.width}x${size.height}\n`);
      break;
    }
  }
  session.stderr?.write('err');
  if (session.stdin) {
    let seen = 0;
    for await (const chunk of session.stdin) {
      session.stdout!.write(chunk as Buffer);
      seen += (chunk as Buffer).length;
      if (seen >= limit) break;
    }
  }
  await session.finish({ exitCode });
}

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer();
  server.on('upgrade', (req, socket, head) => {
    void acceptWebSocket(req, socket, head, REMOTE_COMMAND_WS_PROTOCOLS).then((ws) => {
      if (!ws) return;
      const q = new URL(req.url!, 'http://x').searchParams;
      const tty = q.get('tty') === '1';
      const session = serveWebSocketRemoteCommand(ws, { stdin: true, stdout: true, stderr: true, tty });
      void backend(session, Number(q.get('exit')), Number(q.get('limit') ?? Infinity));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function collect(r: NodeJS.ReadableStream | null): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    if (!r) return resolve(Buffer.alloc(0));
    r.on('data', (c: Buffer) => chunks.push(c));
    r.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

describe('remote command over WebSocket', () => {
  for (const protocol of [WS_PROTOCOL.v5, WS_PROTOCOL.v4, WS_PROTOCOL.v4base64, WS_PROTOCOL.binary, WS_PROTOCOL.base64]) {
    it(`${protocol}: stdin echoes intact, stderr is separate, exit code travels`, async () => {
      const payload = randomBytes(3 << 20);
      const ws = new WebSocket(`ws://127.0.0.1:${port}/?exit=3&limit=${payload.length}`, [protocol]);
      const client = await openWebSocketRemoteCommand(ws, { stdin: true, stdout: true, stderr: true, tty: false });
      expect(client.protocol).toBe(protocol);
      const out = collect(client.stdout);
      const err = collect(client.stderr);
      client.stdin!.end(payload);
      const [o, e, result] = await Promise.all([out, err, client.result]);
      const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
      expect(sha(o)).toBe(sha(payload));
      expect(e.toString()).toBe('err');
      const structured = protocol.startsWith('v');
      expect(result).toEqual(structured ? { exitCode: 3 } : { error: 'command terminated with non-zero exit code: exit status 3' });
    });
  }

  it('delivers resizes under a tty', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/?exit=0&tty=1`, [WS_PROTOCOL.v5]);
    const client = await openWebSocketRemoteCommand(ws, { stdin: true, stdout: true, stderr: false, tty: true });
    expect(client.stderr).toBeNull();
    const out = collect(client.stdout);
    client.resize({ width: 100, height: 30 });
    client.stdin!.end('hi');
    expect((await out).toString()).toBe('size 100x30\nhi');
    expect(await client.result).toEqual({ exitCode: 0 });
  });

  it('refuses an unsupported subprotocol with 400', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, ['nope.k8s.io']);
    const status = await new Promise<number>((r) => ws.once('unexpected-response', (_q, res) => r(res.statusCode!)));
    expect(status).toBe(400);
  });
});

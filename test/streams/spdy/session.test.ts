import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame, FrameParser, HeaderCompressor } from '../../../src/streams/spdy/frames.ts';
import { openPortForward, PORT_FORWARD_SPDY_PROTOCOLS, servePortForward } from '../../../src/streams/spdy/port-forward.ts';
import { openSpdyRemoteCommand, REMOTE_COMMAND_SPDY_PROTOCOLS, serveSpdyRemoteCommand } from '../../../src/streams/spdy/remote-command.ts';
import { MAX_PEER_CONTROL_BACKLOG, MAX_PEER_STREAMS, SpdySession } from '../../../src/streams/spdy/session.ts';
import type { SpdyStream } from '../../../src/streams/spdy/stream.ts';
import { acceptSpdyUpgrade, dialSpdy, UpgradeRefusedError } from '../../../src/streams/spdy/upgrade.ts';
import type { RemoteCommandSession } from '../../../src/streams/remote-command.ts';
import { slowPeer } from '../slow-peer.ts';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function collect(r: NodeJS.ReadableStream | null): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    if (!r) return resolve(Buffer.alloc(0));
    r.on('data', (c: Buffer) => chunks.push(c));
    r.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

// Exec backend for the tests: echo stdin, "err" on stderr, report one resize, exit as asked.
async function echoBackend(session: RemoteCommandSession, exitCode: number): Promise<void> {
  if (session.resizes) {
    for await (const size of session.resizes) {
      session.stdout!.write(`size ${size.width}x${size.height}\n`);
      break;
    }
  }
  session.stderr?.write('err');
  if (session.stdin) for await (const chunk of session.stdin) session.stdout!.write(chunk as Buffer);
  await session.finish({ exitCode });
}

/** Everything a stream yields until it ends or is torn down. */
function drain(r: Readable): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    if (r.destroyed) return resolve(Buffer.alloc(0));
    r.on('data', (c: Buffer) => chunks.push(c));
    r.once('end', () => resolve(Buffer.concat(chunks)));
    r.once('close', () => resolve(Buffer.concat(chunks)));
  });
}

/** Two ends of one loopback TCP connection. */
function socketPair(): Promise<[net.Socket, net.Socket]> {
  return new Promise((resolve) => {
    const srv = net.createServer((accepted) => {
      srv.close();
      resolve([accepted, client]);
    });
    let client: net.Socket;
    srv.listen(0, '127.0.0.1', () => (client = net.connect((srv.address() as AddressInfo).port, '127.0.0.1')));
  });
}

/** A client stream the server answers with `payload` and FIN; then the server closes the session if asked. */
async function answeredStream(payload: Buffer, thenClose: boolean): Promise<{ client: SpdySession; clientSocket: net.Socket; stream: SpdyStream }> {
  const [a, b] = await socketPair();
  const server = new SpdySession(a, 'server');
  server.once('stream', (s: SpdyStream) => s.end(payload, () => thenClose && server.close()));
  const client = new SpdySession(b, 'client');
  return { client, clientSocket: b, stream: await client.createStream({ streamtype: 'stdout' }) };
}

let server: Server;
let base: URL;
let echoPort: number;
let echoServer: net.Server;
const serverSessions: SpdySession[] = [];

beforeAll(async () => {
  // The "pod port" that port-forward reaches: echoes with a prefix, then closes on EOF.
  echoServer = net.createServer((sock) => {
    sock.write('hello ');
    sock.pipe(sock);
  });
  await new Promise<void>((r) => echoServer.listen(0, '127.0.0.1', r));
  echoPort = (echoServer.address() as AddressInfo).port;

  server = createServer();
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/exec') {
      const accepted = acceptSpdyUpgrade(req, socket, head, REMOTE_COMMAND_SPDY_PROTOCOLS);
      if (!accepted) return;
      serverSessions.push(accepted.session);
      const tty = url.searchParams.get('tty') === '1';
      void serveSpdyRemoteCommand(accepted.session, accepted.protocol, { stdin: true, stdout: true, stderr: true, tty }, 2000)
        .then((s) => echoBackend(s, Number(url.searchParams.get('exit'))))
        .catch(() => undefined);
    } else {
      const accepted = acceptSpdyUpgrade(req, socket, head, PORT_FORWARD_SPDY_PROTOCOLS);
      if (!accepted) return;
      serverSessions.push(accepted.session);
      servePortForward(accepted.session, (conn) => {
        if (conn.port !== 1) return conn.fail(`no such port ${conn.port}`);
        const target = net.connect(echoPort, '127.0.0.1');
        conn.stream.pipe(target).pipe(conn.stream);
      });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

afterAll(async () => {
  for (const s of serverSessions) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
  await new Promise<void>((r) => echoServer.close(() => r()));
});

describe('SPDY remote command', () => {
  it('v4: 8 MiB of stdin comes back intact, stderr separate, exit code 3', async () => {
    const { session, protocol } = await dialSpdy({ url: new URL('/exec?exit=3', base), protocols: REMOTE_COMMAND_SPDY_PROTOCOLS });
    expect(protocol).toBe('v4.channel.k8s.io');
    const client = await openSpdyRemoteCommand(session, protocol, { stdin: true, stdout: true, stderr: true, tty: false });
    const payload = randomBytes(8 << 20);
    const [out, err] = [collect(client.stdout), collect(client.stderr)];
    client.stdin!.end(payload);
    expect(sha(await out)).toBe(sha(payload));
    expect((await err).toString()).toBe('err');
    expect(await client.result).toEqual({ exitCode: 3 });
    await session.closed;
  });

  it('v2 (old client): plain-text failure on the error stream', async () => {
    const { session, protocol } = await dialSpdy({ url: new URL('/exec?exit=2', base), protocols: ['v2.channel.k8s.io'] });
    const client = await openSpdyRemoteCommand(session, protocol, { stdin: true, stdout: true, stderr: true, tty: false });
    const out = collect(client.stdout);
    client.stdin!.end('x');
    expect((await out).toString()).toBe('x');
    expect(await client.result).toEqual({ error: 'command terminated with non-zero exit code: exit status 2' });
  });

  it('v4 tty: resize arrives, success status', async () => {
    const { session, protocol } = await dialSpdy({ url: new URL('/exec?exit=0&tty=1', base), protocols: REMOTE_COMMAND_SPDY_PROTOCOLS });
    const client = await openSpdyRemoteCommand(session, protocol, { stdin: true, stdout: true, stderr: false, tty: true });
    const out = collect(client.stdout);
    client.resize({ width: 132, height: 43 });
    client.stdin!.end('typed');
    expect((await out).toString()).toBe('size 132x43\ntyped');
    expect(await client.result).toEqual({ exitCode: 0 });
  });

  it('refuses a protocol it does not speak with 403 naming what it accepts', async () => {
    const err = await dialSpdy({ url: new URL('/exec', base), protocols: ['v9.channel.k8s.io'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpgradeRefusedError);
    expect((err as UpgradeRefusedError).status).toBe(403);
    expect((err as UpgradeRefusedError).body.toString()).toContain('v4.channel.k8s.io');
  });

  it('times out a client that never opens its streams, telling it why', async () => {
    const { session, protocol } = await dialSpdy({ url: new URL('/exec?exit=0', base), protocols: REMOTE_COMMAND_SPDY_PROTOCOLS });
    const error = await session.createStream({ streamtype: 'error' });
    const text = await collect(error);
    expect(JSON.parse(text.toString())).toMatchObject({ status: 'Failure', message: expect.stringContaining('timed out waiting for client to create streams') });
    expect(protocol).toBe('v4.channel.k8s.io');
    await session.closed;
  });
});

describe('SPDY port-forward', () => {
  it('carries two concurrent connections on one session, with half-close', async () => {
    const { session, protocol } = await dialSpdy({ url: new URL('/pf', base), protocols: PORT_FORWARD_SPDY_PROTOCOLS });
    expect(protocol).toBe('portforward.k8s.io');
    const [a, b] = await Promise.all([openPortForward(session, 1, '0'), openPortForward(session, 1, '1')]);
    const big = randomBytes(2 << 20);
    const [outA, outB] = [collect(a.stream), collect(b.stream)];
    a.stream.end(big);
    b.stream.end('second');
    expect(sha(await outA)).toBe(sha(Buffer.concat([Buffer.from('hello '), big])));
    expect((await outB).toString()).toBe('hello second');
    expect(await a.errors).toBe('');
    session.close();
  });

  it('reports a failure on the error stream', async () => {
    const { session } = await dialSpdy({ url: new URL('/pf', base), protocols: PORT_FORWARD_SPDY_PROTOCOLS });
    const c = await openPortForward(session, 2, '0');
    c.stream.resume();
    expect(await c.errors).toBe('no such port 2');
    session.destroy();
  });
});

describe('SPDY session robustness', () => {
  // The kubectl exec -i stall (issue #4): the API server's stdout stream still held what its
  // WebSocket writer had not taken when the kubelet closed the connection; the session dropped it.
  it('a peer closing the connection leaves what it sent readable (a slow reader loses nothing)', async () => {
    const payload = randomBytes(200 << 10); // within the stream's buffer: the socket is read to its end unread
    const { client, stream } = await answeredStream(payload, true);
    expect(await client.closed).toBeNull();
    expect(sha(await drain(stream))).toBe(sha(payload));
  });

  it('a connection that breaks ends its streams after what they received, so a pipeline from one settles', async () => {
    const payload = randomBytes(64 << 10);
    const { client, clientSocket, stream } = await answeredStream(payload, false);
    while (stream.readableLength < payload.length) await new Promise((resolve) => setImmediate(resolve));
    clientSocket.destroy(new Error('connection reset'));
    expect((await client.closed)?.message).toBe('connection reset');
    let got = 0;
    const slow = new Writable({ write: (chunk: Buffer, _enc, cb) => void setImmediate(() => ((got += chunk.length), cb())) });
    await pipeline(stream, slow);
    expect(got).toBe(payload.length);
  });

  it('calls a write back only once the socket took its bytes: a writer reusing one buffer sends 16 MiB intact to a slow reader', async () => {
    const payload = randomBytes(16 << 20);
    const [a, b] = await socketPair();
    const server = new SpdySession(a, 'server');
    const accepted = new Promise<SpdyStream>((resolve) => server.once('stream', resolve));
    const client = new SpdySession(b, 'client');
    const stream = await client.createStream({ streamtype: 'data' });
    const remote = await accepted;
    // The reader takes nothing for a while, then stops now and then, so that the writes queue
    // in the sending socket: a chunk overwritten there before it went out would corrupt the data.
    const received = new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      remote.pause();
      setTimeout(() => remote.resume(), 300);
      remote.on('data', (d: Buffer) => {
        chunks.push(d);
        if (chunks.length % 8 === 0) {
          remote.pause();
          setTimeout(() => remote.resume(), 2);
        }
      });
      remote.once('end', () => resolve(Buffer.concat(chunks)));
    });
    const reused = Buffer.allocUnsafe(64 << 10);
    for (let at = 0; at < payload.length; at += reused.length) {
      payload.copy(reused, 0, at, at + reused.length);
      await new Promise<void>((resolve, reject) => stream.write(reused, (err) => (err ? reject(err) : resolve())));
    }
    stream.end();
    const got = await received;
    expect(got.length).toBe(payload.length);
    expect(sha(got)).toBe(sha(payload));
    client.destroy();
    server.destroy();
  });

  it('closes a session idle for longer than its idle timeout', async () => {
    const [a, b] = await socketPair();
    const session = new SpdySession(a, 'server', { idleTimeoutMs: 150 });
    const started = Date.now();
    const error = await session.closed;
    expect(error?.message).toMatch(/idle timeout/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    b.destroy();
  });

  async function rawUpgrade(): Promise<net.Socket> {
    const sock = net.connect(Number(base.port), '127.0.0.1');
    sock.write('POST /pf HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n');
    await new Promise<void>((resolve) => {
      let text = '';
      const onData = (c: Buffer): void => {
        text += c.toString('latin1');
        if (text.includes('\r\n\r\n')) {
          sock.off('data', onData);
          expect(text).toMatch(/^HTTP\/1.1 101 /);
          expect(text).toContain('X-Stream-Protocol-Version: portforward.k8s.io');
          resolve();
        }
      };
      sock.on('data', onData);
    });
    return sock;
  }

  it('echoes the peer’s pings and ignores SETTINGS and WINDOW_UPDATE', async () => {
    const sock = await rawUpgrade();
    const c = new HeaderCompressor();
    sock.write(encodeFrame({ type: 'settings', entries: [{ flags: 0, id: 7, value: 1 }] }, c));
    sock.write(encodeFrame({ type: 'windowUpdate', streamId: 1, delta: 5 }, c));
    sock.write(encodeFrame({ type: 'ping', id: 1 }, c));
    const parser = new FrameParser();
    const frame = await new Promise((resolve) => sock.on('data', (d: Buffer) => parser.push(d).forEach(resolve)));
    expect(frame).toEqual({ type: 'ping', id: 1 });
    sock.destroy();
  });

  it('drops a session that sends garbage, and keeps serving others', async () => {
    const sock = await rawUpgrade();
    sock.write(Buffer.from('\x80\x03\x00\x01\x00\x00\x00\x0cgarbagegarba'));
    await new Promise((resolve) => sock.on('close', resolve));
    const { session } = await dialSpdy({ url: new URL('/pf', base), protocols: PORT_FORWARD_SPDY_PROTOCOLS });
    const c = await openPortForward(session, 1, '0');
    const out = collect(c.stream);
    c.stream.end('alive');
    expect((await out).toString()).toBe('hello alive');
    session.destroy();
  });
});

describe('SPDY session bounds (issue #12 item 2: 200 MB of PINGs from a peer that never read took burstlet from 121 MB to 3.3 GB)', () => {
  const ping = encodeFrame({ type: 'ping', id: 1 }, new HeaderCompressor());

  it('drops a peer that floods PINGs and never reads, having queued at most MAX_PEER_CONTROL_BACKLOG replies', async () => {
    const peer = slowPeer();
    const session = new SpdySession(peer.socket, 'server');
    const burst = Buffer.concat(Array.from({ length: 1_000 }, () => ping));
    let mostQueued = 0;
    // 10,000 bursts = 120 MB of pings: far more than the bound, unless the session is dropped.
    for (let i = 0; i < 10_000 && !session.isClosed; i++) {
      peer.socket.push(burst);
      await new Promise((r) => setImmediate(r));
      mostQueued = Math.max(mostQueued, peer.socket.writableLength);
    }
    expect(session.isClosed).toBe(true);
    expect(await session.closed).toMatchObject({ message: expect.stringMatching(/not reading/) });
    // Each echo is 12 bytes; a burst can overshoot the bound by at most one chunk's worth of frames.
    expect(mostQueued).toBeLessThanOrEqual((MAX_PEER_CONTROL_BACKLOG + 1_000) * ping.length);
  });

  it('keeps a peer that reads, however many pings it sends', async () => {
    const peer = slowPeer();
    const session = new SpdySession(peer.socket, 'server');
    const burst = Buffer.concat(Array.from({ length: 1_000 }, () => ping));
    const rounds = 5 * Math.ceil(MAX_PEER_CONTROL_BACKLOG / 1_000);
    for (let i = 0; i < rounds; i++) {
      peer.socket.push(burst);
      await new Promise((r) => setImmediate(r));
      peer.flush();
    }
    expect(session.isClosed).toBe(false);
    expect(Buffer.concat(peer.received).length).toBe(rounds * 1_000 * ping.length);
    session.destroy();
  });

  it('refuses streams beyond MAX_PEER_STREAMS open at once, and takes new ones as old ones end', async () => {
    const [a, b] = await socketPair();
    const server = new SpdySession(a, 'server');
    const held: SpdyStream[] = [];
    server.on('stream', (s: SpdyStream) => held.push(s));
    const client = new SpdySession(b, 'client');
    const opened = await Promise.all(Array.from({ length: MAX_PEER_STREAMS }, () => client.createStream({ streamtype: 'data' })));
    await expect(client.createStream({ streamtype: 'data' })).rejects.toThrow(/refused stream/);
    expect(held.length).toBe(MAX_PEER_STREAMS);
    held[0]!.destroy();
    opened[0]!.destroy();
    await expect.poll(async () => client.createStream({ streamtype: 'data' }).then(() => true, () => false)).toBe(true);
    client.destroy();
    server.destroy();
  });
});

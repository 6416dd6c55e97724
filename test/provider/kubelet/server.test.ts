import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { rawWebSocket } from './raw-websocket.ts';
import { slowPeer, type SlowPeer } from '../../streams/slow-peer.ts';
import { createLocalPki, type LocalPki } from '../../../src/local/pki.ts';
import { KubeletAuth, type ReviewClient } from '../../../src/provider/kubelet/auth.ts';
import type { KubeletBackend } from '../../../src/provider/kubelet/backend.ts';
import { startKubeletServer, type KubeletServer } from '../../../src/provider/kubelet/server.ts';
import { selfSignedServingCert } from '../../../src/provider/kubelet/serving-cert.ts';
import type { Pod } from '../../../src/kube/wire.ts';
import type { RemoteCommandClient } from '../../../src/streams/remote-command.ts';
import { openPortForward, PORT_FORWARD_SPDY_PROTOCOLS } from '../../../src/streams/spdy/port-forward.ts';
import { openSpdyRemoteCommand, REMOTE_COMMAND_SPDY_PROTOCOLS } from '../../../src/streams/spdy/remote-command.ts';
import { SpdySession } from '../../../src/streams/spdy/session.ts';
import { dialSpdy, UpgradeRefusedError } from '../../../src/streams/spdy/upgrade.ts';
import { openWebSocketRemoteCommand } from '../../../src/streams/websocket-remote-command.ts';

const POD: Pod = { metadata: { name: 'web', namespace: 'ns', uid: 'uid-1' }, spec: { containers: [{ name: 'app', image: 'nginx' }] } };

// An in-memory "container": `cat` echoes stdin, `exit N` exits N, anything else prints its argv.
let closedBackends = 0;

function fakeCommand(command: readonly string[], stdinWanted: boolean): RemoteCommandClient {
  if (command[0] === 'cat') {
    const pipe = new PassThrough();
    const result = new Promise<{ exitCode: number }>((r) => pipe.once('end', () => r({ exitCode: 0 })));
    const close = (): void => {
      closedBackends++;
      pipe.destroy();
    };
    return { protocol: 'fake', stdin: pipe, stdout: pipe, stderr: null, resize: () => undefined, result, close };
  }
  const exitCode = command[0] === 'exit' ? Number(command[1]) : 0;
  const stdout = Readable.from(command[0] === 'exit' ? [] : [Buffer.from(command.join(' ') + '\n')]);
  const stdin = stdinWanted ? new PassThrough().resume() : null;
  return { protocol: 'fake', stdin, stdout, stderr: null, resize: () => undefined, result: Promise.resolve({ exitCode }), close: () => undefined };
}

let echoPort = 0;
/** Port 82's pod: it takes every byte into its buffer but reads only when the test flushes it. */
let slowPod: SlowPeer | undefined;
const logCalls: unknown[] = [];
const backend: KubeletBackend = {
  pods: () => [POD],
  findPod: (ns, name) => (ns === 'ns' && name === 'web' ? POD : undefined),
  logs: async (_pod, container, options) => {
    logCalls.push({ container, options });
    return Readable.from([Buffer.from('line 1\nline 2\n')]);
  },
  exec: async (_pod, _c, command, options) => fakeCommand(command, options.stdin),
  attach: async (_pod, _c, options) => fakeCommand(['cat'], options.stdin),
  portForward: async (_pod, port) => {
    if (port === 82) return (slowPod = slowPeer(64 << 20)).socket;
    if (port !== 80) throw new Error(`nothing listens on ${port}`);
    const s = net.connect(echoPort, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    return s;
  },
  stats: async () => [{ namespace: 'ns', name: 'web', uid: 'uid-1', containers: [{ name: 'app', usageCoreNanoSeconds: 2e9, workingSetBytes: 4096 }] }],
};

let sarCalls = 0;
const reviews: ReviewClient = {
  tokenReview: async (token) => (token === 'alice-token' ? { username: 'alice', groups: ['system:authenticated'] } : null),
  // alice may read stats only; the admin certificate may do anything.
  subjectAccessReview: async (user, attrs) => {
    sarCalls++;
    return user.username === 'burstlet-admin' || (user.username === 'alice' && attrs.subresource === 'stats');
  },
};

let dir: string;
let pki: LocalPki;
let server: KubeletServer;
let echo: net.Server;
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bl-kubelet-'));
  pki = await createLocalPki(dir);
  echo = net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoPort = (echo.address() as AddressInfo).port;
  server = await startKubeletServer({
    nodeName: 'vk',
    host: '127.0.0.1',
    port: 0,
    tls: await selfSignedServingCert('vk', ['127.0.0.1']),
    clientCaPem: pki.caPem,
    auth: new KubeletAuth({ anonymous: false, webhookTokens: true, reviews }),
    backend,
    streamCreationTimeoutMs: 2000,
  });
  base = `https://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server.close();
  await new Promise<void>((r) => echo.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const asAdmin = (): { cert: string; key: string; rejectUnauthorized: false } => ({ cert: pki.admin.certPem, key: pki.admin.keyPem, rejectUnauthorized: false });

function get(path: string, opts: { admin?: boolean; token?: string } = {}): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};
    const req = https.get(base + path, { ...(opts.admin ? asAdmin() : { rejectUnauthorized: false }), headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body, type: String(res.headers['content-type']) }));
    });
    req.on('error', reject);
  });
}

describe('kubelet API security', () => {
  it('401 without credentials, on plain and upgrade requests', async () => {
    expect(await get('/healthz')).toMatchObject({ status: 401, body: 'Unauthorized\n' });
    const err = await dialSpdy({ url: new URL('/exec/ns/web/app?command=ls&output=1', base), protocols: REMOTE_COMMAND_SPDY_PROTOCOLS, tls: { rejectUnauthorized: false } }).catch((e: unknown) => e);
    expect((err as UpgradeRefusedError).status).toBe(401);
  });

  it('401 for a token TokenReview rejects; 403 with the kubelet body when SubjectAccessReview denies', async () => {
    expect((await get('/pods', { token: 'wrong' })).status).toBe(401);
    expect(await get('/pods', { token: 'alice-token' })).toMatchObject({
      status: 403,
      body: 'Forbidden (user=alice, verb=get, resource=nodes, subresource(s)=[proxy])\n',
    });
    expect((await get('/stats/summary', { token: 'alice-token' })).status).toBe(200);
    const err = await dialSpdy({
      url: new URL('/exec/ns/web/app?command=ls&output=1', base),
      protocols: REMOTE_COMMAND_SPDY_PROTOCOLS,
      headers: { authorization: 'Bearer alice-token' },
      tls: { rejectUnauthorized: false },
    }).catch((e: unknown) => e);
    expect((err as UpgradeRefusedError).status).toBe(403);
    expect((err as UpgradeRefusedError).body.toString()).toBe('Forbidden (user=alice, verb=create, resource=nodes, subresource(s)=[proxy])\n');
  });

  it('caches authorization decisions', async () => {
    await get('/healthz', { admin: true });
    const before = sarCalls;
    for (let i = 0; i < 5; i++) expect((await get('/healthz', { admin: true })).status).toBe(200);
    expect(sarCalls).toBe(before);
  });
});

describe('kubelet API routes', () => {
  it('serves logs with the parsed options, 404 Status for unknown pods/containers, 400 for a bad query', async () => {
    const r = await get('/containerLogs/ns/web/app?tailLines=2&timestamps=true', { admin: true });
    expect(r).toMatchObject({ status: 200, body: 'line 1\nline 2\n' });
    expect(logCalls.at(-1)).toEqual({ container: 'app', options: { follow: false, previous: false, timestamps: true, tailLines: 2 } });
    const missing = await get('/containerLogs/ns/nope/app', { admin: true });
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 });
    expect((await get('/containerLogs/ns/web/other', { admin: true })).status).toBe(404);
    expect((await get('/containerLogs/ns/web/app?tailLines=x', { admin: true })).status).toBe(400);
  });

  it('serves pods, healthz, stats and resource metrics', async () => {
    expect(JSON.parse((await get('/pods', { admin: true })).body)).toMatchObject({ kind: 'PodList', items: [{ metadata: { name: 'web' } }] });
    expect((await get('/healthz', { admin: true })).body).toBe('ok');
    const metrics = await get('/metrics/resource', { admin: true });
    expect(metrics.body).toMatch(/^container_memory_working_set_bytes\{container="app",namespace="ns",pod="web"\} 4096 \d+$/m);
    expect(JSON.parse((await get('/stats/summary', { admin: true })).body)).toMatchObject({ node: { nodeName: 'vk', memory: { workingSetBytes: 4096 } } });
  });
});

describe('kubelet API streaming', () => {
  it('exec over SPDY: stdin round-trip and exit codes', async () => {
    const dial = (q: string) => dialSpdy({ url: new URL(`/exec/ns/web/app?${q}`, base), protocols: REMOTE_COMMAND_SPDY_PROTOCOLS, tls: asAdmin() });
    const a = await dial('command=cat&input=1&output=1');
    const cat = await openSpdyRemoteCommand(a.session, a.protocol, { stdin: true, stdout: true, stderr: false, tty: false });
    const payload = randomBytes(1 << 20);
    const chunks: Buffer[] = [];
    cat.stdout!.on('data', (c: Buffer) => chunks.push(c));
    cat.stdin!.end(payload);
    expect(await cat.result).toEqual({ exitCode: 0 });
    const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
    expect(sha(Buffer.concat(chunks))).toBe(sha(payload));

    const b = await dial('command=exit&command=3&output=1');
    const exit = await openSpdyRemoteCommand(b.session, b.protocol, { stdin: false, stdout: true, stderr: false, tty: false });
    exit.stdout!.resume();
    expect(await exit.result).toEqual({ exitCode: 3 });
  });

  it('port-forward as SPDY tunnelled in WebSocket messages (kubectl 1.30+, newer API servers)', async () => {
    const tunnel = await rawWebSocket('127.0.0.1', server.port, '/portForward/ns/web', 'SPDY/3.1+portforward.k8s.io', asAdmin());
    expect(tunnel.protocol).toBe('SPDY/3.1+portforward.k8s.io');
    const session = new SpdySession(tunnel.stream, 'client');
    const conn = await openPortForward(session, 80, '0');
    let got = '';
    conn.stream.on('data', (d: Buffer) => (got += d.toString()));
    const ended = new Promise((r) => conn.stream.once('end', r));
    conn.stream.end('tunnelled');
    await ended;
    expect(got).toBe('tunnelled');
    session.destroy();
  });

  it('port-forward over the kubelet WebSocket channels (v4.channel.k8s.io, port query)', async () => {
    const ws = new WebSocket(`wss://127.0.0.1:${server.port}/portForward/ns/web?port=80,81`, ['v4.channel.k8s.io'], asAdmin());
    const messages: Buffer[] = [];
    ws.on('message', (m: Buffer) => messages.push(m));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('over ws')]));
    const closed = new Promise((r) => ws.once('close', r));
    await expect.poll(() => Buffer.concat(messages.filter((m) => m[0] === 0).map((m) => m.subarray(1))).toString('latin1'), { timeout: 3000 }).toBe('\x50\x00over ws');
    // Channel 1 and 3 open with the port (little endian), then port 81 reports its failure.
    expect(messages.find((m) => m[0] === 1)).toEqual(Buffer.from([1, 80, 0]));
    await expect.poll(() => Buffer.concat(messages.filter((m) => m[0] === 3).map((m) => m.subarray(1))).toString('latin1')).toContain('nothing listens on 81');
    ws.close();
    await closed;
  });

  it('port-forward: a client that sends its last bytes and closes at once; a slow pod still gets every byte, then FIN', async () => {
    slowPod = undefined;
    const ws = new WebSocket(`wss://127.0.0.1:${server.port}/portForward/ns/web?port=82`, ['v4.channel.k8s.io'], asAdmin());
    await new Promise((resolve) => ws.once('open', resolve));
    const payload = Array.from({ length: 64 }, (_, i) => Buffer.alloc(64 << 10, i));
    for (const c of payload) ws.send(Buffer.concat([Buffer.from([0]), c]));
    ws.close(1000);
    await expect.poll(() => slowPod).toBeDefined();
    const pod = slowPod!.socket;
    const outcome = new Promise((resolve) => {
      pod.once('finish', () => resolve('finished'));
      pod.once('close', () => resolve('closed'));
    });
    while (!pod.destroyed && !pod.writableEnded) await new Promise((resolve) => setImmediate(resolve));
    slowPod!.flush();
    expect(await outcome).toBe('finished');
    expect(Buffer.concat(slowPod!.received).equals(Buffer.concat(payload))).toBe(true);
  });

  it('port-forward: a pod connection that resets takes the client\'s stream down with it', async () => {
    slowPod = undefined;
    const { session } = await dialSpdy({ url: new URL('/portForward/ns/web', base), protocols: PORT_FORWARD_SPDY_PROTOCOLS, tls: asAdmin() });
    const conn = await openPortForward(session, 82, '1');
    await expect.poll(() => slowPod).toBeDefined();
    const reset = new Promise((resolve) => conn.stream.once('reset', resolve));
    slowPod!.socket.destroy();
    await reset;
    session.destroy();
  });

  it('a client that vanishes mid-exec frees the backend command', async () => {
    const { session, protocol } = await dialSpdy({ url: new URL('/exec/ns/web/app?command=cat&input=1&output=1', base), protocols: REMOTE_COMMAND_SPDY_PROTOCOLS, tls: asAdmin() });
    const cat = await openSpdyRemoteCommand(session, protocol, { stdin: true, stdout: true, stderr: false, tty: false });
    const echoed = new Promise((r) => cat.stdout!.once('data', r));
    cat.stdin!.write('x');
    await echoed;
    const before = closedBackends;
    session.destroy();
    await expect.poll(() => closedBackends, { timeout: 2000 }).toBe(before + 1);
  });

  it('survives garbage after an upgrade and keeps serving', async () => {
    const tlsSocket = await new Promise<import('node:tls').TLSSocket>((resolve) => {
      const s = tlsConnect({ host: '127.0.0.1', port: server.port, ...asAdmin() }, () => resolve(s));
    });
    tlsSocket.write('POST /portForward/ns/web HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n');
    await new Promise((r) => tlsSocket.once('data', r));
    // A SYN_STREAM whose header block is not zlib, then noise.
    tlsSocket.write(Buffer.concat([Buffer.from('\x80\x03\x00\x01\x00\x00\x00\x0cgarbagegarba', 'latin1'), randomBytes(512)]));
    await new Promise((r) => tlsSocket.once('close', r));
    expect((await get('/healthz', { admin: true })).body).toBe('ok');
  });

  it('exec over WebSocket v5', async () => {
    const ws = new WebSocket(`wss://127.0.0.1:${server.port}/exec/ns/web/app?command=echo&command=hi&output=1`, ['v5.channel.k8s.io'], asAdmin());
    const client = await openWebSocketRemoteCommand(ws, { stdin: false, stdout: true, stderr: false, tty: false });
    let out = '';
    client.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    expect(await client.result).toEqual({ exitCode: 0 });
    expect(out).toBe('echo hi\n');
  });

  it('404 for an exec into an unknown container, 400 without a command', async () => {
    const dial = (path: string): Promise<number | undefined> =>
      dialSpdy({ url: new URL(path, base), protocols: REMOTE_COMMAND_SPDY_PROTOCOLS, tls: asAdmin() }).then(
        () => undefined,
        (e: unknown) => (e as UpgradeRefusedError).status,
      );
    expect(await dial('/exec/ns/web/nope?command=ls&output=1')).toBe(404);
    expect(await dial('/exec/ns/web/app?output=1')).toBe(400);
  });

  it('port-forward: two connections on one session; a backend failure reaches the error stream', async () => {
    const { session } = await dialSpdy({ url: new URL('/portForward/ns/web', base), protocols: PORT_FORWARD_SPDY_PROTOCOLS, tls: asAdmin() });
    const [c1, c2, bad] = await Promise.all([openPortForward(session, 80, '1'), openPortForward(session, 80, '2'), openPortForward(session, 81, '3')]);
    const roundTrip = (s: typeof c1.stream, text: string): Promise<string> =>
      new Promise((resolve) => {
        let got = '';
        s.on('data', (d: Buffer) => (got += d.toString()));
        s.on('end', () => resolve(got));
        s.end(text);
      });
    expect(await Promise.all([roundTrip(c1.stream, 'one'), roundTrip(c2.stream, 'two')])).toEqual(['one', 'two']);
    bad.stream.resume();
    expect(await bad.errors).toContain('nothing listens on 81');
    session.destroy();
  });
});

/** Sends the request line exactly as given (URL and http clients would clean the path first). */
async function rawRequest(path: string, headers: Record<string, string>): Promise<{ status: number; head: string; rest: Buffer }> {
  const socket = tlsConnect({ host: '127.0.0.1', port: server.port, rejectUnauthorized: false });
  await new Promise((r) => socket.once('secureConnect', r));
  socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
  let got = Buffer.alloc(0);
  await new Promise<void>((resolve) => {
    const done = (): void => resolve();
    socket.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.includes('\r\n\r\n')) setTimeout(done, 50); // the head, and a little of what follows
    });
    socket.once('close', done);
  });
  socket.destroy();
  const end = got.indexOf('\r\n\r\n');
  const head = got.subarray(0, end === -1 ? got.length : end).toString();
  return { status: Number(head.split(' ')[1]), head, rest: end === -1 ? Buffer.alloc(0) : got.subarray(end + 4) };
}

describe('kubelet API path canonicalization (authorization bypass by dot-segments)', () => {
  const upgrade = {
    Authorization: 'Bearer alice-token', // alice may get nodes/stats and nothing else
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Protocol': 'v4.channel.k8s.io',
  };

  it.each([
    ['/stats/../exec/ns/web/app?command=id&output=1', '/exec/ns/web/app?command=id&output=1'],
    ['/metrics/%2e%2e/exec/ns/web/app?command=id&output=1', '/exec/ns/web/app?command=id&output=1'],
    ['/stats/%2E%2E/exec/ns/web/app?command=id&output=1', '/exec/ns/web/app?command=id&output=1'],
    ['/stats/./../exec/ns/web/app?command=id&output=1', '/exec/ns/web/app?command=id&output=1'],
    ['/stats//../exec/ns/web/app?command=id&output=1', '/exec/ns/web/app?command=id&output=1'],
  ])('a stats-only token never runs a command through %s: 301 to %s, nothing upgraded', async (path, location) => {
    const r = await rawRequest(path, upgrade);
    expect(r.status).toBe(301);
    expect(r.head).toMatch(new RegExp(`\\r\\nLocation: ${location.replace(/[?]/g, '\\?')}(\\r\\n|$)`, 'i'));
  });

  it.each(['/stats/..%2fexec/ns/web/app?command=id&output=1', '/stats/..%5Cexec/ns/web/app?command=id&output=1', '/stats\\..\\exec/ns/web/app?command=id&output=1', '/stats/%zz'])(
    'an ambiguous path is refused with 400: %s',
    async (path) => {
      const r = await rawRequest(path, upgrade);
      expect(r.status).toBe(400);
      expect(r.rest.toString()).toContain('"reason":"BadRequest"');
    },
  );

  it('the redirect target is authorized on its own: a stats-only token gets 403 there', async () => {
    const plain = await rawRequest('/stats/../pods', { Authorization: 'Bearer alice-token' });
    expect(plain.status).toBe(301);
    expect(plain.head).toMatch(/\r\nLocation: \/pods(\r\n|$)/i);
    expect((await rawRequest('/pods', { Authorization: 'Bearer alice-token' })).status).toBe(403);
    expect((await rawRequest('/exec/ns/web/app?command=id&output=1', upgrade)).status).toBe(403);
    expect((await rawRequest('/stats/summary', { Authorization: 'Bearer alice-token' })).status).toBe(200);
  });

  it('another spelling of an allowed path is redirected to its canonical form, not authorized as is', async () => {
    const r = await rawRequest('/st%61ts/summary', { Authorization: 'Bearer alice-token' });
    expect(r.status).toBe(301);
    expect(r.head).toMatch(/\r\nLocation: \/stats\/summary(\r\n|$)/i);
  });
});

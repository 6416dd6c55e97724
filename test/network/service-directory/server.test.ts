// The directory's WebSocket server on real sockets (loopback): ordering, fragmentation,
// resume and authentication as a sidecar sees them.
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import net from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createLogger } from '../../../src/log/logger.ts';
import { newNodeSecret, podCredential, activePodCredentials } from '../../../src/network/service-directory/credentials.ts';
import {
  MAC_BYTES, MessageOpener, newNonce, PROOF_SCHEME, sessionKey, upgradeProof,
} from '../../../src/network/service-directory/directory-auth.ts';
import { decodeDirectoryMessage, DIRECTORY_PATH, directoryHeaders, type DirectoryMessage, type DirService } from '../../../src/network/service-directory/protocol.ts';
import { MAX_CONNECTIONS_PER_POD, startStandaloneDirectory, type StandaloneDirectory } from '../../../src/network/service-directory/server.ts';
import { DirectoryState } from '../../../src/network/service-directory/state.ts';
import { slowPeer } from '../../streams/slow-peer.ts';

const log = createLogger('silent', 'test');
const secret = newNodeSecret();
const active = new Set(['pod-a']);
let dir: StandaloneDirectory | undefined;
afterEach(async () => {
  await dir?.close();
  dir = undefined;
});

const svc = (i: number): DirService => ({
  namespace: 'default', name: `svc-${i}`, clusterIPs: [`198.19.${i >> 8}.${i & 255}`],
  ports: [{ name: 'http', protocol: 'TCP', port: 80 }], affinitySeconds: null,
});

async function serve(state: DirectoryState): Promise<StandaloneDirectory> {
  dir = await startStandaloneDirectory({ state, log, credentials: activePodCredentials(secret, (u) => active.has(u)) });
  return dir;
}

interface Conn {
  ws: WebSocket;
  messages: DirectoryMessage[];
  /** The messages as received, MAC first. */
  raw: Buffer[];
  status: Promise<number>;
}

/** A sidecar's side of the protocol, written out; `authorization` replaces the proof when given. */
function connect(url: string, uid: string, credential: string, resumeFrom = '', authorization?: string): Conn {
  const clientNonce = newNonce();
  const headers: Record<string, string> = {
    authorization: authorization ?? `${PROOF_SCHEME} ${upgradeProof(credential, { podUid: uid, clientNonce, resumeFrom })}`,
    [directoryHeaders.podUid]: uid,
    [directoryHeaders.clientNonce]: clientNonce,
  };
  if (resumeFrom) headers[directoryHeaders.resumeFrom] = resumeFrom;
  const ws = new WebSocket(url, { headers });
  const messages: DirectoryMessage[] = [];
  const raw: Buffer[] = [];
  let opener: MessageOpener | undefined;
  ws.once('upgrade', (res) => {
    const serverNonce = String(res.headers[directoryHeaders.serverNonce]);
    opener = new MessageOpener(sessionKey(credential, { podUid: uid, clientNonce, serverNonce }));
  });
  ws.on('message', (d: Buffer, isBinary) => {
    expect(isBinary).toBe(true);
    raw.push(d);
    messages.push(decodeDirectoryMessage(opener!.open(d).toString()));
  });
  const status = new Promise<number>((resolve) => {
    ws.once('open', () => resolve(101));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(0));
  });
  return { ws, messages, raw, status };
}

describe('directory server', () => {
  it('holds a sidecar until the first sync, and nothing overtakes its snapshot', async () => {
    const state = new DirectoryState();
    const { url } = await serve(state);
    const c = connect(url, 'pod-a', podCredential(secret, 'pod-a'));
    expect(await c.status).toBe(101);
    state.setService('default/svc-1', svc(1));
    // A ping's pong comes back behind anything the server wrote after the change: nothing.
    await new Promise((resolve) => {
      c.ws.once('pong', resolve);
      c.ws.ping();
    });
    expect(c.messages).toEqual([]);
    state.markSynced();
    state.setService('default/svc-2', svc(2)); // before the server resumes: part of the snapshot
    await expect.poll(() => c.messages.length >= 1).toBe(true);
    state.setService('default/svc-3', svc(3));
    await expect.poll(() => c.messages.length >= 2).toBe(true);
    expect(c.messages.map((m) => [m.type, m.revision])).toEqual([['snapshot', 2], ['delta', 3]]);
    expect(c.messages[0]?.type === 'snapshot' && c.messages[0].services.map((s) => s.name)).toEqual(['svc-1', 'svc-2']);
    c.ws.close();
  });

  it('sends a large snapshot in fragments, intact, with changes made meanwhile after it', async () => {
    const state = new DirectoryState();
    for (let i = 0; i < 3000; i++) state.setService(`default/svc-${i}`, svc(i));
    state.markSynced();
    expect(state.snapshotBytes().length).toBeGreaterThan(200_000);
    const { url } = await serve(state);
    const c = connect(url, 'pod-a', podCredential(secret, 'pod-a'));
    await c.status;
    state.setService('default/svc-0', null);
    await expect.poll(() => c.messages.length >= 2).toBe(true);
    const [snap, delta] = c.messages;
    expect(snap?.type === 'snapshot' && snap.services.length).toBe(3000);
    expect(delta).toMatchObject({ type: 'delta', revision: 3001, change: { key: 'default/svc-0', service: null } });
    c.ws.close();
  });

  it('resumes a sidecar from its revision with only what it missed', async () => {
    const state = new DirectoryState();
    state.setService('default/svc-1', svc(1));
    state.markSynced();
    const { url } = await serve(state);
    state.setService('default/svc-2', svc(2));
    state.setService('default/svc-3', svc(3));
    const c = connect(url, 'pod-a', podCredential(secret, 'pod-a'), `${state.epoch}:1`);
    await expect.poll(() => c.messages.length >= 2).toBe(true);
    expect(c.messages.map((m) => [m.type, m.revision])).toEqual([['delta', 2], ['delta', 3]]);
    c.ws.close();
  });

  it("refuses another pod's or an unknown pod's credential, and drops a pod that is gone", async () => {
    const state = new DirectoryState();
    state.markSynced();
    const { url, directory } = await serve(state);
    active.add('pod-b');
    expect(await connect(url, 'pod-a', podCredential(secret, 'pod-b')).status).toBe(401);
    expect(await connect(url, 'pod-z', podCredential(secret, 'pod-z')).status).toBe(401);
    expect(await connect(url, 'pod-a', podCredential(newNodeSecret(), 'pod-a')).status).toBe(401);
    const b = connect(url, 'pod-b', podCredential(secret, 'pod-b'));
    expect(await b.status).toBe(101);
    const closed = new Promise<number>((r) => b.ws.once('close', (code) => r(code)));
    active.delete('pod-b');
    directory.revokePod('pod-b');
    expect(await closed).toBe(1008);
    expect(await connect(url, 'pod-b', podCredential(secret, 'pod-b')).status).toBe(401);
  });

  it('refuses a credential sent as is, and a proof without its nonce', async () => {
    const state = new DirectoryState();
    state.markSynced();
    const { url } = await serve(state);
    const credential = podCredential(secret, 'pod-a');
    expect(await connect(url, 'pod-a', credential, '', `Bearer ${credential}`).status).toBe(401);
    expect(await connect(url, 'pod-a', credential, '', `${PROOF_SCHEME} ${credential}`).status).toBe(401);
    const proof = upgradeProof(credential, { podUid: 'pod-a', clientNonce: '', resumeFrom: '' });
    expect(await connect(url, 'pod-a', credential, '', `${PROOF_SCHEME} ${proof}`).status).toBe(401);
  });

  it('seals the same change differently for each session, and a session\'s messages open for it only', async () => {
    const state = new DirectoryState();
    state.markSynced();
    const { url } = await serve(state);
    const credential = podCredential(secret, 'pod-a');
    const [a, b] = [connect(url, 'pod-a', credential), connect(url, 'pod-a', credential)];
    await expect.poll(() => a.messages.length >= 1 && b.messages.length >= 1).toBe(true);
    state.setService('default/svc-1', svc(1));
    await expect.poll(() => a.messages.length >= 2 && b.messages.length >= 2).toBe(true);
    const [fromA, fromB] = [a.raw[1]!, b.raw[1]!];
    expect(fromA.subarray(MAC_BYTES)).toEqual(fromB.subarray(MAC_BYTES));
    expect(fromA.subarray(0, MAC_BYTES)).not.toEqual(fromB.subarray(0, MAC_BYTES));
    a.ws.close();
    b.ws.close();
  });
});

describe('directory listener connection limits (issue #12 item 3, slowloris)', () => {
  it('closes half-sent upgrades past the cap at once and the rest at the header deadline; a sidecar still connects', async () => {
    const state = new DirectoryState();
    state.setService('default/svc-1', svc(1));
    state.markSynced();
    dir = await startStandaloneDirectory({
      state, log, credentials: activePodCredentials(secret, (u) => active.has(u)),
      limits: { headerTimeoutMs: 600, requestTimeoutMs: 600, maxUnadmitted: 5 },
    });
    const { port } = new URL(dir.url);
    const halfSent = (): Promise<number> => {
      const opened = Date.now();
      const s = net.connect(Number(port), '127.0.0.1', () => s.write('GET /service-directory HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nX-Slow: '));
      s.on('error', () => undefined);
      s.resume();
      return new Promise((resolve) => s.once('close', () => resolve(Date.now() - opened)));
    };
    const lifetimes = await Promise.all(Array.from({ length: 20 }, halfSent));
    expect(lifetimes.filter((ms) => ms < 500).length).toBeGreaterThanOrEqual(15);
    expect(Math.max(...lifetimes)).toBeLessThan(5_000);
    const c = connect(dir.url, 'pod-a', podCredential(secret, 'pod-a'));
    expect(await c.status).toBe(101);
    c.ws.close();
  });
});

// Issue #12 item 9: a sidecar that never read made the directory queue +316 MB in 8 s; a pod could
// open any number of connections; a deleted pod's connection stayed open.
describe('directory bounds', () => {
  /** A sidecar whose socket takes nothing: every write waits forever, as with a peer that never reads. */
  function stalledSidecar(directory: StandaloneDirectory['directory'], uid: string): { peer: ReturnType<typeof slowPeer>; closed: Promise<void> } {
    const peer = slowPeer();
    Object.assign(peer.socket, { setTimeout: () => peer.socket, setNoDelay: () => peer.socket, setKeepAlive: () => peer.socket });
    const clientNonce = newNonce();
    const headers: Record<string, string> = {
      upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': '13', 'sec-websocket-key': randomBytes(16).toString('base64'),
      authorization: `${PROOF_SCHEME} ${upgradeProof(podCredential(secret, uid), { podUid: uid, clientNonce, resumeFrom: '' })}`,
      [directoryHeaders.podUid]: uid, [directoryHeaders.clientNonce]: clientNonce,
    };
    const req = Object.assign(new Readable({ read() {} }), { method: 'GET', url: DIRECTORY_PATH, headers, socket: peer.socket }) as unknown as http.IncomingMessage;
    expect(directory.handleUpgrade(req, peer.socket, Buffer.alloc(0))).toBe(true);
    return { peer, closed: new Promise((resolve) => peer.socket.once('close', () => resolve())) };
  }

  it('drops a sidecar that stops reading once its queue passes maxBufferedBytes, having held no more', async () => {
    const state = new DirectoryState();
    for (let i = 0; i < 50; i++) state.setService(`default/svc-${i}`, svc(i));
    state.markSynced();
    const maxBufferedBytes = 256 * 1024;
    dir = await startStandaloneDirectory({ state, log, credentials: activePodCredentials(secret, (u) => active.has(u)), maxBufferedBytes });
    const sidecar = stalledSidecar(dir.directory, 'pod-a');
    await expect.poll(() => dir!.directory.connections === 1).toBe(true);
    let mostQueued = 0;
    const big = (i: number): DirService => ({ ...svc(i), name: `svc-${i}-${'x'.repeat(8 * 1024)}` });
    // 64 MB of changes: with no bound they would all wait for the stalled catch-up.
    for (let i = 0; i < 8_000 && dir.directory.connections > 0; i++) {
      state.setService(`default/big-${i % 100}`, big(i));
      mostQueued = Math.max(mostQueued, dir.directory.queuedBytes);
    }
    await sidecar.closed;
    expect(dir.directory.connections).toBe(0);
    expect(mostQueued).toBeLessThanOrEqual(maxBufferedBytes + 16 * 1024);
  });

  it('queues nothing for a sidecar waiting for the first sync (the snapshot will hold it all)', async () => {
    const state = new DirectoryState();
    const { url, directory } = await serve(state);
    const c = connect(url, 'pod-a', podCredential(secret, 'pod-a'));
    expect(await c.status).toBe(101);
    for (let i = 0; i < 100; i++) state.setService(`default/svc-${i}`, svc(i));
    expect(directory.queuedBytes).toBe(0);
    state.markSynced();
    await expect.poll(() => c.messages.length >= 1).toBe(true);
    expect(c.messages[0]?.type === 'snapshot' && c.messages[0].services.length).toBe(100);
    c.ws.close();
  });

  it(`keeps at most ${MAX_CONNECTIONS_PER_POD} connections per pod, closing the oldest for a newer one`, async () => {
    const state = new DirectoryState();
    state.markSynced();
    const { url, directory } = await serve(state);
    const credential = podCredential(secret, 'pod-a');
    const conns: { c: Conn; code: Promise<number> }[] = [];
    for (let i = 0; i < MAX_CONNECTIONS_PER_POD + 2; i++) {
      const c = connect(url, 'pod-a', credential);
      expect(await c.status).toBe(101);
      await expect.poll(() => c.messages.length >= 1).toBe(true);
      conns.push({ c, code: new Promise((r) => c.ws.once('close', (code) => r(code))) });
    }
    expect(directory.connections).toBe(MAX_CONNECTIONS_PER_POD);
    expect(await Promise.all(conns.slice(0, 2).map((x) => x.code))).toEqual([1008, 1008]);
    expect(conns.slice(2).map((x) => x.c.ws.readyState)).toEqual(Array.from({ length: MAX_CONNECTIONS_PER_POD }, () => WebSocket.OPEN));
    for (const x of conns) x.c.ws.close();
  });

  it('closes the connections of a pod that is no longer active at the next liveness check', async () => {
    const state = new DirectoryState();
    state.markSynced();
    active.add('pod-c');
    dir = await startStandaloneDirectory({ state, log, credentials: activePodCredentials(secret, (u) => active.has(u)), pingIntervalMs: 50 });
    const c = connect(dir.url, 'pod-c', podCredential(secret, 'pod-c'));
    expect(await c.status).toBe(101);
    const closed = new Promise<number>((r) => c.ws.once('close', (code) => r(code)));
    active.delete('pod-c');
    expect(await closed).toBe(1008);
  });
});

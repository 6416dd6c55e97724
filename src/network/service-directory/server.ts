// The directory's WebSocket fan-out. `handleUpgrade` can be mounted on any HTTP(S) server (the
// kubelet port, or a listener of its own, `serveDirectory`): it checks the sidecar's proof of
// its pod's credential, sends what it missed, then every change; each message is the same
// pre-encoded bytes for all, behind a MAC of the sidecar's session (directory-auth.ts).
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../../log/logger.ts';
import { DEFAULT_CONNECTION_LIMITS, guardConnections, guardedServerOptions, type ConnectionLimits } from '../../net/connection-guard.ts';
import type { CredentialLookup } from './credentials.ts';
import { isNonce, MessageSealer, newNonce, PROOF_SCHEME, proofMatches, sessionKey } from './directory-auth.ts';
import { DIRECTORY_PATH, directoryHeaders } from './protocol.ts';
import type { DirectoryState } from './state.ts';
import { urlHost } from '../../net/url-host.ts';

export interface DirectoryServerOptions {
  state: DirectoryState;
  credentials: CredentialLookup;
  log: Logger;
  path?: string;
  /** A sidecar this far behind is dropped; it reconnects and catches up. */
  maxBufferedBytes?: number;
  pingIntervalMs?: number;
}

export interface DirectoryServer {
  /** Takes the upgrade when the path is the directory's; returns false to let the caller handle it. */
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Closes the connections of a pod that is gone (its credential is refused from now on by authenticate). */
  revokePod(podUid: string): void;
  readonly connections: number;
  /** Changes waiting for connections still receiving their catch-up (at most maxBufferedBytes each). */
  readonly queuedBytes: number;
  close(): void;
}

function refuse(socket: Duplex, status: string, message: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`);
}

function header(req: http.IncomingMessage, name: string): string {
  const v = req.headers[name];
  return typeof v === 'string' ? v : '';
}

function proofOf(req: http.IncomingMessage): string {
  const [scheme, proof] = (req.headers.authorization ?? '').split(' ');
  return scheme === PROOF_SCHEME ? (proof ?? '') : '';
}

interface Connection {
  podUid: string;
  sealer: MessageSealer;
  /**
   * waiting: for the first sync (changes are not kept: the snapshot will hold them);
   * catching-up: changes wait in `queue` so nothing overtakes the catch-up; live: sent as they come.
   */
  phase: 'waiting' | 'catching-up' | 'live';
  queue: Buffer[];
  queuedBytes: number;
}

/**
 * Connections one pod may hold; a newer one replaces the oldest. A sidecar has one, and briefly
 * two while it replaces a connection the directory has not yet seen die.
 */
export const MAX_CONNECTIONS_PER_POD = 2;

/** One sealed message: its MAC as the first fragment, the shared payload (never copied) after it. */
function sendSealed(ws: WebSocket, c: Connection, bytes: Buffer): void {
  ws.send(c.sealer.seal(bytes), { binary: true, fin: false });
  ws.send(bytes, { binary: true, fin: true });
}

/**
 * Large messages (snapshots) go out in fragments, each written before the next: a TLS
 * connection's buffers then grow to a fragment, not to the whole snapshot, and stay small.
 */
const FRAGMENT_BYTES = 16 * 1024;

async function sendSealedFragments(ws: WebSocket, c: Connection, bytes: Buffer): Promise<void> {
  const pieces = [c.sealer.seal(bytes)];
  for (let off = 0; off < bytes.length; off += FRAGMENT_BYTES) pieces.push(bytes.subarray(off, off + FRAGMENT_BYTES));
  for (const [i, piece] of pieces.entries()) {
    if (ws.readyState !== WebSocket.OPEN) throw new Error('closed');
    await new Promise<void>((resolve, reject) => {
      ws.send(piece, { binary: true, fin: i === pieces.length - 1 }, (err) => (err ? reject(err) : resolve()));
    });
  }
}

export function createDirectoryServer(opts: DirectoryServerOptions): DirectoryServer {
  const { state, log } = opts;
  const path = opts.path ?? DIRECTORY_PATH;
  const maxBuffered = opts.maxBufferedBytes ?? 8 << 20;
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 4096, clientTracking: false });
  const pods = new Map<WebSocket, Connection>();
  const alive = new WeakSet<WebSocket>();
  // The server's nonce of each accepted upgrade, for its 101 response.
  const serverNonces = new WeakMap<http.IncomingMessage, string>();
  wss.on('headers', (headers, req) => {
    headers.push(`${directoryHeaders.serverNonce}: ${serverNonces.get(req) ?? ''}`);
  });

  // A sidecar this far behind (what waits for its socket, or for its catch-up to finish) is
  // dropped: it reconnects and resumes, and a sidecar that never reads costs at most this much.
  const drop = (ws: WebSocket, c: Connection, queued: number): void => {
    log.warn({ podUid: c.podUid, queued }, 'sidecar too slow; dropping it so it resumes');
    forget(ws, c);
    ws.terminate();
  };
  /** Takes a connection out at once (its close event may come later): nothing more is queued for it. */
  const forget = (ws: WebSocket, c: Connection): void => {
    pods.delete(ws);
    c.queue = [];
    c.queuedBytes = 0;
  };
  const send = (ws: WebSocket, c: Connection, bytes: Buffer): void => {
    if (ws.bufferedAmount > maxBuffered) return drop(ws, c, ws.bufferedAmount);
    sendSealed(ws, c, bytes);
  };
  const unsubscribe = state.subscribe((bytes) => {
    for (const [ws, c] of pods) {
      if (c.phase === 'catching-up') {
        c.queue.push(bytes);
        c.queuedBytes += bytes.length;
        if (c.queuedBytes > maxBuffered) drop(ws, c, c.queuedBytes);
      } else if (c.phase === 'live' && ws.readyState === WebSocket.OPEN) send(ws, c, bytes);
    }
  });
  const pinger = setInterval(() => {
    for (const [ws, c] of pods) {
      // A pod deleted (or no longer this node's) loses its connections, whoever holds its credential.
      if (opts.credentials(c.podUid) === undefined) {
        ws.close(1008, 'pod deleted');
        continue;
      }
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, opts.pingIntervalMs ?? 30_000).unref();

  /** Makes room for a new connection of `podUid`: the oldest ones beyond the cap are closed. */
  const limitPerPod = (podUid: string): void => {
    const mine = [...pods].filter(([, c]) => c.podUid === podUid);
    for (const [ws, c] of mine.slice(0, Math.max(0, mine.length - MAX_CONNECTIONS_PER_POD + 1))) {
      forget(ws, c);
      ws.close(1008, 'replaced by a newer connection of this pod');
    }
  };

  const accept = async (ws: WebSocket, c: Connection, resumeFrom: string | undefined): Promise<void> => {
    limitPerPod(c.podUid);
    pods.set(ws, c);
    alive.add(ws);
    ws.on('pong', () => alive.add(ws));
    ws.on('close', () => forget(ws, c));
    ws.on('error', () => ws.terminate());
    ws.on('message', () => ws.close(1008, 'the directory is read-only'));
    // A sidecar connecting before the first list waits for it rather than seeing an empty directory.
    await state.whenSynced();
    // The catch-up reflects every change so far; later ones wait behind it.
    c.phase = 'catching-up';
    try {
      for (const bytes of state.catchUp(resumeFrom)) await sendSealedFragments(ws, c, bytes);
    } catch {
      ws.terminate();
      return;
    }
    const queued = c.queue;
    c.queue = [];
    c.queuedBytes = 0;
    c.phase = 'live';
    if (ws.readyState === WebSocket.OPEN) for (const bytes of queued) send(ws, c, bytes);
  };

  return {
    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://directory');
      if (url.pathname !== path) return false;
      const fields = {
        podUid: header(req, directoryHeaders.podUid),
        clientNonce: header(req, directoryHeaders.clientNonce),
        resumeFrom: header(req, directoryHeaders.resumeFrom),
      };
      const credential = opts.credentials(fields.podUid);
      if (credential === undefined || !isNonce(fields.clientNonce) || !proofMatches(credential, fields, proofOf(req))) {
        log.warn({ podUid: fields.podUid, remote: req.socket.remoteAddress }, 'sidecar refused: no valid proof of an active burst pod\'s credential');
        refuse(socket, '401 Unauthorized', 'sidecar credential refused: it is not valid for an active burst pod on this node\n');
        return true;
      }
      const serverNonce = newNonce();
      serverNonces.set(req, serverNonce);
      const sealer = new MessageSealer(sessionKey(credential, { ...fields, serverNonce }));
      wss.handleUpgrade(req, socket, head, (ws) => {
        void accept(ws, { podUid: fields.podUid, sealer, phase: 'waiting', queue: [], queuedBytes: 0 }, fields.resumeFrom || undefined);
      });
      return true;
    },
    revokePod(podUid) {
      for (const [ws, c] of pods) if (c.podUid === podUid) ws.close(1008, 'pod deleted');
    },
    get connections() {
      return pods.size;
    },
    get queuedBytes() {
      let total = 0;
      for (const c of pods.values()) total += c.queuedBytes;
      return total;
    },
    close() {
      unsubscribe();
      clearInterval(pinger);
      for (const ws of pods.keys()) ws.terminate();
      wss.close();
    },
  };
}

export interface ServedDirectory {
  url: string;
  close(): Promise<void>;
}

/** A listener of the directory's own: plain HTTP, or TLS when a key and cert are given. */
export async function serveDirectory(
  directory: DirectoryServer,
  opts: { host: string; port: number; path?: string; tls?: { key: string; cert: string }; limits?: ConnectionLimits },
): Promise<ServedDirectory> {
  const limits = opts.limits ?? DEFAULT_CONNECTION_LIMITS;
  const options = guardedServerOptions(limits);
  const server = opts.tls ? https.createServer({ ...options, key: opts.tls.key, cert: opts.tls.cert }) : http.createServer(options);
  // Only sidecars that prove their pod's credential leave the count of unauthenticated connections.
  const guard = guardConnections(server, limits);
  server.on('request', (_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain', connection: 'close' }).end('only the service directory WebSocket is served here\n');
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!directory.handleUpgrade(req, socket, head)) refuse(socket, '404 Not Found', 'no such WebSocket endpoint\n');
    else guard.admit(req.socket); // refused sidecars are closed by handleUpgrade
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = urlHost(opts.host);
  return {
    url: `${opts.tls ? 'wss' : 'ws'}://${host}:${port}${opts.path ?? DIRECTORY_PATH}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface StandaloneDirectory extends ServedDirectory {
  directory: DirectoryServer;
}

/** A directory server on a listener of its own (tests, benchmarks). */
export async function startStandaloneDirectory(
  opts: DirectoryServerOptions & { host?: string; port?: number; tls?: { key: string; cert: string }; limits?: ConnectionLimits },
): Promise<StandaloneDirectory> {
  const directory = createDirectoryServer(opts);
  const served = await serveDirectory(directory, {
    host: opts.host ?? '127.0.0.1', port: opts.port ?? 0, ...(opts.path ? { path: opts.path } : {}), ...(opts.tls ? { tls: opts.tls } : {}),
    ...(opts.limits ? { limits: opts.limits } : {}),
  });
  return {
    url: served.url,
    directory,
    close: async () => {
      directory.close();
      await served.close();
    },
  };
}

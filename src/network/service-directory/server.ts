// The directory's WebSocket fan-out. `handleUpgrade` can be mounted on any HTTP(S) server (the
// kubelet port, or the standalone server below): it authenticates the sidecar by its pod's
// credential, sends what it missed, then every change, as the same pre-encoded bytes for all.
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../../log/logger.ts';
import type { Authenticate } from './credentials.ts';
import { DIRECTORY_PATH, directoryHeaders } from './protocol.ts';
import type { DirectoryState } from './state.ts';

export interface DirectoryServerOptions {
  state: DirectoryState;
  authenticate: Authenticate;
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
  close(): void;
}

function refuse(socket: Duplex, status: string, message: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`);
}

function bearer(req: http.IncomingMessage): string {
  const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  return m?.[1] ?? '';
}

/**
 * Large messages (snapshots) go out in fragments, each written before the next: a TLS
 * connection's buffers then grow to a fragment, not to the whole snapshot, and stay small.
 */
const FRAGMENT_BYTES = 16 * 1024;

async function sendFragmented(ws: WebSocket, bytes: Buffer): Promise<void> {
  for (let off = 0; off < bytes.length || off === 0; off += FRAGMENT_BYTES) {
    if (ws.readyState !== WebSocket.OPEN) throw new Error('closed');
    const fin = off + FRAGMENT_BYTES >= bytes.length;
    await new Promise<void>((resolve, reject) => {
      ws.send(bytes.subarray(off, off + FRAGMENT_BYTES), { binary: false, fin }, (err) => (err ? reject(err) : resolve()));
    });
    if (fin) return;
  }
}

export function createDirectoryServer(opts: DirectoryServerOptions): DirectoryServer {
  const { state, log } = opts;
  const path = opts.path ?? DIRECTORY_PATH;
  const maxBuffered = opts.maxBufferedBytes ?? 8 << 20;
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 4096, clientTracking: false });
  const pods = new Map<WebSocket, string>();
  const alive = new WeakSet<WebSocket>();

  const send = (ws: WebSocket, bytes: Buffer): void => {
    if (ws.bufferedAmount > maxBuffered) {
      log.warn({ podUid: pods.get(ws), buffered: ws.bufferedAmount }, 'sidecar too slow; dropping it so it resumes');
      ws.terminate();
      return;
    }
    ws.send(bytes, { binary: false });
  };
  // Connections still waiting for sync or receiving their catch-up: their deltas wait here so
  // that nothing overtakes the snapshot.
  const catchingUp = new Map<WebSocket, Buffer[]>();
  const unsubscribe = state.subscribe((bytes) => {
    for (const ws of pods.keys()) {
      const queue = catchingUp.get(ws);
      if (queue) queue.push(bytes);
      else if (ws.readyState === WebSocket.OPEN) send(ws, bytes);
    }
  });
  const pinger = setInterval(() => {
    for (const ws of pods.keys()) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, opts.pingIntervalMs ?? 30_000).unref();

  const accept = async (ws: WebSocket, podUid: string, resumeFrom: string | undefined): Promise<void> => {
    pods.set(ws, podUid);
    catchingUp.set(ws, []);
    alive.add(ws);
    ws.on('pong', () => alive.add(ws));
    ws.on('close', () => {
      pods.delete(ws);
      catchingUp.delete(ws);
    });
    ws.on('error', () => ws.terminate());
    ws.on('message', () => ws.close(1008, 'the directory is read-only'));
    // A sidecar connecting before the first list waits for it rather than seeing an empty directory.
    await state.whenSynced();
    // The catch-up reflects every change so far, so what was queued until now is already in it.
    catchingUp.set(ws, []);
    try {
      for (const bytes of state.catchUp(resumeFrom)) await sendFragmented(ws, bytes);
    } catch {
      ws.terminate();
      return;
    }
    const queued = catchingUp.get(ws) ?? [];
    catchingUp.delete(ws);
    if (ws.readyState === WebSocket.OPEN) for (const bytes of queued) send(ws, bytes);
  };

  return {
    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://directory');
      if (url.pathname !== path) return false;
      const podUid = String(req.headers[directoryHeaders.podUid] ?? '');
      if (!opts.authenticate(podUid, bearer(req))) {
        log.warn({ podUid, remote: req.socket.remoteAddress }, 'sidecar refused: credential is not valid for an active burst pod');
        refuse(socket, '401 Unauthorized', 'sidecar credential refused: it is not valid for an active burst pod on this node\n');
        return true;
      }
      const resumeFrom = req.headers[directoryHeaders.resumeFrom];
      wss.handleUpgrade(req, socket, head, (ws) => {
        void accept(ws, podUid, typeof resumeFrom === 'string' ? resumeFrom : undefined);
      });
      return true;
    },
    revokePod(podUid) {
      for (const [ws, uid] of pods) if (uid === podUid) ws.close(1008, 'pod deleted');
    },
    get connections() {
      return pods.size;
    },
    close() {
      unsubscribe();
      clearInterval(pinger);
      for (const ws of pods.keys()) ws.terminate();
      wss.close();
    },
  };
}

export interface StandaloneDirectory {
  url: string;
  directory: DirectoryServer;
  close(): Promise<void>;
}

/** The directory on its own HTTP(S) server (tests, benchmarks); TLS when a key and cert are given. */
export async function startStandaloneDirectory(
  opts: DirectoryServerOptions & { host?: string; port?: number; tls?: { key: string; cert: string } },
): Promise<StandaloneDirectory> {
  const directory = createDirectoryServer(opts);
  const server = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }) : http.createServer();
  server.on('request', (_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('only the service directory WebSocket is served here\n');
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!directory.handleUpgrade(req, socket, head)) refuse(socket, '404 Not Found', 'no such WebSocket endpoint\n');
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const scheme = opts.tls ? 'wss' : 'ws';
  return {
    url: `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${opts.path ?? DIRECTORY_PATH}`,
    directory,
    close: () =>
      new Promise((resolve) => {
        directory.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

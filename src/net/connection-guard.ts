// Limits on connections that have not (yet) proven who they are, for every listener that
// faces untrusted peers (the kubelet port, the service directory, the mock CCI): the TLS
// handshake and a request's headers must arrive within a deadline, a request's body within
// another, and at most so many connections may wait unadmitted at once. Past the cap a new
// connection is closed on arrival, so half-sent requests (slowloris) cost a bounded amount of
// memory; a connection leaves the count once a request on it has been authenticated.
import type { ServerOptions as HttpServerOptions } from 'node:http';
import type { Server, Socket } from 'node:net';

export interface ConnectionLimits {
  /** The TLS handshake, and each request's headers, must complete within this. */
  headerTimeoutMs: number;
  /** A request's body must arrive within this (streamed responses and upgraded connections are not limited). */
  requestTimeoutMs: number;
  /** Connections with no authenticated request yet; more are closed as they arrive. */
  maxUnadmitted: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = { headerTimeoutMs: 10_000, requestTimeoutMs: 60_000, maxUnadmitted: 500 };

/**
 * Options for http.createServer / https.createServer that enforce the deadlines. Node checks
 * them every connectionsCheckingInterval, so that is a fraction of the header deadline.
 */
export function guardedServerOptions(limits: ConnectionLimits): HttpServerOptions & { handshakeTimeout: number } {
  return {
    headersTimeout: limits.headerTimeoutMs,
    // Node requires the whole-request deadline to be at least the headers' one.
    requestTimeout: Math.max(limits.requestTimeoutMs, limits.headerTimeoutMs),
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.headerTimeoutMs / 4))),
    handshakeTimeout: limits.headerTimeoutMs,
  };
}

export interface ConnectionGuard {
  /** Marks the connection of `socket` (a request's or an upgrade's) as authenticated. */
  admit(socket: Socket): void;
  /** Connections waiting to be admitted now. */
  readonly unadmitted: number;
  /** Connections closed on arrival because the cap was reached. */
  readonly refused: number;
}

/** A connection's identity shared by the raw socket and the TLS socket over it. */
const connectionKey = (s: Socket): string => `${s.remoteAddress}|${s.remotePort}`;

/** Counts the server's unadmitted connections and closes new ones past limits.maxUnadmitted. */
export function guardConnections(server: Server, limits: ConnectionLimits): ConnectionGuard {
  const waiting = new Map<string, Socket>();
  let refused = 0;
  server.on('connection', (socket: Socket) => {
    // A socket's 'close' comes in the loop's close phase, after the poll that may accept its
    // peer's next connection: destroyed sockets no longer count, whether or not it came yet.
    if (waiting.size >= limits.maxUnadmitted) for (const [key, s] of waiting) if (s.destroyed) waiting.delete(key);
    if (waiting.size >= limits.maxUnadmitted) {
      refused++;
      socket.destroy();
      return;
    }
    const key = connectionKey(socket);
    waiting.set(key, socket);
    socket.once('close', () => {
      if (waiting.get(key) === socket) waiting.delete(key);
    });
  });
  return {
    admit: (socket) => void waiting.delete(connectionKey(socket)),
    get unadmitted() {
      return waiting.size;
    },
    get refused() {
      return refused;
    },
  };
}

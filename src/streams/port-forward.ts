// Accepting a port-forward upgrade: SPDY/3.1 with portforward.k8s.io, what kube-apiserver
// speaks to a kubelet and what kubectl speaks when its WebSocket tunnelling is off; or the same
// SPDY session tunnelled in WebSocket messages (`SPDY/3.1+portforward.k8s.io`), what kubectl
// 1.30+ sends and what newer API servers pass through to kubelets that accept it; or the
// kubelet's WebSocket channel port-forward (`port` query) for direct clients.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createWebSocketStream } from 'ws';
import { headerList, refuseUpgrade } from './http-upgrade.ts';
import { PORT_FORWARD_SPDY_PROTOCOLS, servePortForward, type ForwardedConnection } from './spdy/port-forward.ts';
import { SpdySession } from './spdy/session.ts';
import { acceptSpdyUpgrade, isSpdyUpgrade } from './spdy/upgrade.ts';
import { parsePortForwardPorts, PORT_FORWARD_WS_PROTOCOLS, serveWebSocketPortForward } from './websocket-port-forward.ts';
import { PORT_FORWARD_TUNNEL_PROTOCOL } from './websocket-tunnel.ts';
import { acceptWebSocket, isWebSocketUpgrade } from './websocket-upgrade.ts';
import { errorMessage } from '../log/error-message.ts';

export type { ForwardedConnection } from './spdy/port-forward.ts';

export interface PortForwardAcceptOptions {
  idleTimeoutMs?: number;
  pairTimeoutMs?: number;
}

/** Completes the upgrade and calls `onForward` for every forwarded connection; null when refused. */
export async function acceptPortForward(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  onForward: (conn: ForwardedConnection) => void,
  options: PortForwardAcceptOptions = {},
): Promise<{ closed: Promise<unknown> } | null> {
  if (isWebSocketUpgrade(req) && headerList(req.headers['sec-websocket-protocol']).includes(PORT_FORWARD_TUNNEL_PROTOCOL)) {
    const ws = await acceptWebSocket(req, socket, head, [PORT_FORWARD_TUNNEL_PROTOCOL]);
    if (!ws) return null;
    // The tunnel carries SPDY frames directly: no inner HTTP upgrade, the protocol is implied.
    const session = new SpdySession(createWebSocketStream(ws), 'server', { idleTimeoutMs: options.idleTimeoutMs });
    servePortForward(session, onForward, options.pairTimeoutMs);
    return { closed: session.closed };
  }
  if (isWebSocketUpgrade(req)) {
    let ports: number[];
    try {
      ports = parsePortForwardPorts(new URL(req.url ?? '/', 'http://x').searchParams);
    } catch (err) {
      refuseUpgrade(socket, 400, 'Bad Request', `${errorMessage(err)}\n`);
      return null;
    }
    const ws = await acceptWebSocket(req, socket, head, PORT_FORWARD_WS_PROTOCOLS);
    if (!ws) return null;
    serveWebSocketPortForward(ws, ports, onForward);
    return { closed: new Promise((resolve) => ws.once('close', resolve)) };
  }
  if (!isSpdyUpgrade(req)) {
    refuseUpgrade(socket, 400, 'Bad Request', `port-forward needs Upgrade: SPDY/3.1 (X-Stream-Protocol-Version: portforward.k8s.io) or a WebSocket\n`);
    return null;
  }
  const accepted = acceptSpdyUpgrade(req, socket, head, PORT_FORWARD_SPDY_PROTOCOLS, { idleTimeoutMs: options.idleTimeoutMs });
  if (!accepted) return null;
  servePortForward(accepted.session, onForward, options.pairTimeoutMs);
  return { closed: accepted.session.closed };
}

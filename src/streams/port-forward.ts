// Accepting a port-forward upgrade: SPDY/3.1 with portforward.k8s.io, what kube-apiserver
// speaks to a kubelet and what kubectl speaks when its WebSocket tunnelling is off.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { refuseUpgrade } from './http-upgrade.ts';
import { PORT_FORWARD_SPDY_PROTOCOLS, servePortForward, type ForwardedConnection } from './spdy/port-forward.ts';
import { acceptSpdyUpgrade, isSpdyUpgrade } from './spdy/upgrade.ts';

export type { ForwardedConnection } from './spdy/port-forward.ts';

export interface PortForwardAcceptOptions {
  idleTimeoutMs?: number;
  pairTimeoutMs?: number;
}

/** Completes the upgrade and calls `onForward` for every forwarded connection; false when refused. */
export function acceptPortForward(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  onForward: (conn: ForwardedConnection) => void,
  options: PortForwardAcceptOptions = {},
): { closed: Promise<unknown> } | null {
  if (!isSpdyUpgrade(req)) {
    refuseUpgrade(socket, 400, 'Bad Request', 'port-forward needs an Upgrade: SPDY/3.1 request with X-Stream-Protocol-Version: portforward.k8s.io\n');
    return null;
  }
  const accepted = acceptSpdyUpgrade(req, socket, head, PORT_FORWARD_SPDY_PROTOCOLS, { idleTimeoutMs: options.idleTimeoutMs });
  if (!accepted) return null;
  servePortForward(accepted.session, onForward, options.pairTimeoutMs);
  return { closed: accepted.session.closed };
}

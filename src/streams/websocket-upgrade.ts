// Accepting a WebSocket upgrade with Kubernetes channel subprotocol negotiation.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { refuseUpgrade } from './http-upgrade.ts';
import { negotiateChannelProtocol, parseProtocolHeader } from './websocket-channels.ts';

export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

/**
 * Completes the upgrade choosing the first offered subprotocol in `supported` (no offer means
 * `channel.k8s.io`). Answers 400 and returns null when nothing offered is supported.
 */
export function acceptWebSocket(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  supported: readonly string[],
): Promise<WebSocket | null> {
  const offered = parseProtocolHeader(req.headers['sec-websocket-protocol']);
  const chosen = negotiateChannelProtocol(offered, supported);
  if (chosen === null) {
    const body = `requested protocol(s) are not supported: ${JSON.stringify(offered)}; supports ${JSON.stringify(supported)}\n`;
    refuseUpgrade(socket, 400, 'Bad Request', body);
    return Promise.resolve(null);
  }
  // `ws` only accepts RFC 6455 tokens as subprotocols, but kubectl's port-forward tunnel is
  // `SPDY/3.1+portforward.k8s.io` ('/' is a separator): such a choice is answered by hand.
  const token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(chosen);
  if (!token) delete req.headers['sec-websocket-protocol'];
  return new Promise((resolve) => {
    const server = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: 64 << 20,
      perMessageDeflate: false,
      handleProtocols: () => (offered.length === 0 ? false : chosen),
    });
    if (!token) server.on('headers', (headers) => headers.push(`Sec-WebSocket-Protocol: ${chosen}`));
    server.handleUpgrade(req, socket, head, (ws) => resolve(ws));
  });
}


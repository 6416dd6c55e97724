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
  return new Promise((resolve) => {
    const server = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: 64 << 20,
      perMessageDeflate: false,
      handleProtocols: () => (offered.length === 0 ? false : chosen),
    });
    server.handleUpgrade(req, socket, head, (ws) => resolve(ws));
  });
}


// Bytes of another protocol carried in binary WebSocket messages: kubectl 1.30+ tunnels its
// SPDY port-forward session this way (subprotocol `SPDY/3.1+portforward.k8s.io`), one message
// per write, no channel byte.
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { SEND_HIGH_WATER } from './websocket-send.ts';

export const SPDY_TUNNEL_PREFIX = 'SPDY/3.1+';
export const PORT_FORWARD_TUNNEL_PROTOCOL = `${SPDY_TUNNEL_PREFIX}portforward.k8s.io`;


/** Pumps bytes both ways between a WebSocket and a socket, with backpressure on each leg. */
export function tunnelWebSocket(ws: WebSocket, socket: Duplex): void {
  ws.on('message', (data, isBinary) => {
    if (!isBinary) return;
    const chunk = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (!socket.write(chunk)) ws.pause();
  });
  socket.on('drain', () => ws.resume());
  socket.on('data', (chunk: Buffer) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount + chunk.length > SEND_HIGH_WATER) {
      socket.pause();
      ws.send(chunk, () => socket.resume());
    } else ws.send(chunk);
  });
  const closeBoth = (): void => {
    socket.destroy();
    if (ws.readyState === WebSocket.OPEN) ws.close(1000);
    else if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
  };
  socket.once('close', closeBoth);
  socket.on('error', closeBoth);
  socket.once('end', closeBoth);
  ws.once('close', closeBoth);
  ws.on('error', closeBoth);
}

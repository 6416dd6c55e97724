// Bytes of another protocol carried in binary WebSocket messages: kubectl 1.30+ tunnels its
// SPDY port-forward session this way (subprotocol `SPDY/3.1+portforward.k8s.io`), one message
// per write, no channel byte.
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { endAfterWritten } from './stream-end.ts';
import { sendPaced } from './websocket-send.ts';

export const SPDY_TUNNEL_PREFIX = 'SPDY/3.1+';
export const PORT_FORWARD_TUNNEL_PROTOCOL = `${SPDY_TUNNEL_PREFIX}portforward.k8s.io`;

/** ws's close code when no close frame came: the peer vanished rather than closed. */
const CLOSED_ABNORMALLY = 1006;

/**
 * Pumps bytes both ways between a WebSocket and a socket, with backpressure on each leg. A side
 * that closes cleanly ends the other after what it sent, so a slow reader still gets every byte;
 * a side that vanishes or fails takes the other down at once (it may never read again).
 */
export function tunnelWebSocket(ws: WebSocket, socket: Duplex): void {
  ws.on('message', (data, isBinary) => {
    // The socket's peer has closed (a net socket then ends its writable side too): nothing to deliver.
    if (!isBinary || socket.writableEnded) return;
    const chunk = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (!socket.write(chunk)) ws.pause();
  });
  socket.on('drain', () => ws.resume());
  socket.on('data', (chunk: Buffer) => {
    if (ws.readyState !== WebSocket.OPEN) return; // closing: its close ends the socket
    socket.pause();
    sendPaced(ws, chunk, () => socket.resume());
  });
  // A WebSocket cannot half-close: the socket's end closes it, after the messages queued before.
  socket.once('end', () => ws.close(1000));
  socket.once('close', () => {
    if (!socket.readableEnded) ws.terminate();
  });
  socket.on('error', () => ws.terminate());
  ws.once('close', (code: number) => {
    if (code === CLOSED_ABNORMALLY) socket.destroy();
    else endAfterWritten(socket);
  });
  ws.on('error', () => ws.terminate());
}

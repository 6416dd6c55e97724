// The kubelet's own WebSocket port-forward (for direct clients): ports in the `port` query,
// two channels per port in order — data (2i) and error (2i+1) — each opened by the port number
// as 2 bytes little-endian. One connection per port; no half-close, the WebSocket closes when
// every forwarded connection is done.
import { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import type { ForwardedConnection } from './spdy/port-forward.ts';
import { endAfterBuffered } from './stream-end.ts';
import { encodeChannelMessage, WS_PROTOCOL, type WsChannelProtocol } from './websocket-channels.ts';
import { onChannelMessages } from './websocket-receive.ts';
import { sendPaced } from './websocket-send.ts';

export const PORT_FORWARD_WS_PROTOCOLS: readonly WsChannelProtocol[] = [WS_PROTOCOL.v4, WS_PROTOCOL.v4base64, WS_PROTOCOL.binary];

/** The ports of a WebSocket port-forward request (`port` repeated and/or comma separated). */
export function parsePortForwardPorts(params: URLSearchParams): number[] {
  const raw = params.getAll('port').flatMap((p) => p.split(','));
  if (raw.length === 0) throw new Error('query parameter "port" is required');
  return raw.map((p) => {
    const n = Number(p.trim());
    if (!/^\d+$/.test(p.trim()) || n < 1 || n > 65535) throw new Error(`port ${JSON.stringify(p)} must be an integer 1-65535`);
    return n;
  });
}

function portBytes(port: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(port);
  return b;
}

/** Serves the forwarded connections of one accepted WebSocket; `onForward` is called once per port. */
export function serveWebSocketPortForward(ws: WebSocket, ports: readonly number[], onForward: (conn: ForwardedConnection) => void): void {
  const protocol = (ws.protocol === '' ? WS_PROTOCOL.binary : ws.protocol) as WsChannelProtocol;
  const send = (channel: number, data: Buffer): void => {
    if (ws.readyState === WebSocket.OPEN) ws.send(encodeChannelMessage(protocol, channel, data));
  };
  let open = ports.length;
  const done = (): void => {
    if (--open === 0 && ws.readyState === WebSocket.OPEN) ws.close(1000);
  };
  const streams = ports.map((port, i) => {
    send(2 * i, portBytes(port));
    send(2 * i + 1, portBytes(port));
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      done();
    };
    const stream = new Duplex({
      allowHalfOpen: true,
      read() {
        if (ws.isPaused) ws.resume();
      },
      write(chunk: Buffer, _enc, cb) {
        if (ws.readyState !== WebSocket.OPEN) return cb(); // client gone: the close ends the stream
        sendPaced(ws, encodeChannelMessage(protocol, 2 * i, chunk), () => cb());
      },
      final(cb) {
        finish();
        cb();
      },
      destroy(err, cb) {
        finish(); // torn down (its pod connection reset) is done too, or the WebSocket stays open
        cb(err);
      },
    });
    const fail = (message: string): void => {
      send(2 * i + 1, Buffer.from(message));
      finish();
    };
    return { port, stream, fail };
  });
  onChannelMessages(ws, protocol, (msg) => {
    if (msg.kind !== 'data' || msg.channel % 2 !== 0) return;
    const target = streams[msg.channel / 2]?.stream;
    if (!target || msg.data.length === 0 || target.destroyed || target.readableEnded) return;
    // One socket carries every port: a reader that is behind pauses them all, until it reads.
    if (!target.push(msg.data)) ws.pause();
  });
  ws.once('close', () => {
    for (const s of streams) endAfterBuffered(s.stream);
  });
  ws.on('error', () => ws.terminate());
  streams.forEach((s, i) => onForward({ port: s.port, requestId: String(i), stream: s.stream, fail: s.fail }));
}

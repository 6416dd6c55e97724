// Reading channel messages off a WebSocket: every endpoint that speaks the channel protocols
// (exec, attach, port-forward; client and server) decodes the same way and closes the same way
// on a message it cannot decode.
import type { WebSocket } from 'ws';
import { ownsMemory } from './chunk-forward.ts';
import { decodeChannelMessage, type DecodedChannelMessage, type WsChannelProtocol } from './websocket-channels.ts';

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * Calls `handle` with each decoded message; a malformed one closes the WebSocket (1003).
 * `alone`: nothing but the message's data refers to its memory (the message had a buffer of its
 * own rather than a slice of a socket read), so whoever ends up holding the data may free it.
 */
export function onChannelMessages(ws: WebSocket, protocol: WsChannelProtocol, handle: (msg: DecodedChannelMessage, alone: boolean) => void): void {
  ws.on('message', (raw) => {
    const message = toBuffer(raw);
    let msg: DecodedChannelMessage;
    try {
      msg = decodeChannelMessage(protocol, message);
    } catch {
      ws.close(1003, 'malformed channel message');
      return;
    }
    handle(msg, msg.kind === 'data' && ownsMemory(msg.data.buffer === message.buffer ? message : msg.data));
  });
}

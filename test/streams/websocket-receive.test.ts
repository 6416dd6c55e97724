import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { encodeChannelMessage, WS_PROTOCOL, type DecodedChannelMessage } from '../../src/streams/websocket-channels.ts';
import { onChannelMessages } from '../../src/streams/websocket-receive.ts';

let wss: WebSocketServer | undefined;
afterEach(() => wss?.close());

it('decodes each channel message, and closes with 1003 on one it cannot decode', async () => {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, handleProtocols: () => WS_PROTOCOL.base64 });
  wss = server;
  await new Promise((resolve) => server.once('listening', resolve));
  const received: DecodedChannelMessage[] = [];
  server.once('connection', (ws) => onChannelMessages(ws, WS_PROTOCOL.base64, (msg) => received.push(msg)));
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, [WS_PROTOCOL.base64]);
  await new Promise((resolve) => client.once('open', resolve));
  client.send(encodeChannelMessage(WS_PROTOCOL.base64, 0, Buffer.from('hi')));
  client.send('0not base64!');
  const [code] = await new Promise<[number]>((resolve) => client.once('close', (c: number) => resolve([c])));
  expect(code).toBe(1003);
  expect(received).toEqual([{ kind: 'data', channel: 0, data: Buffer.from('hi') }]);
});

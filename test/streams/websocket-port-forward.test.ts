import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { encodeChannelMessage, WS_PROTOCOL } from '../../src/streams/websocket-channels.ts';
import { serveWebSocketPortForward } from '../../src/streams/websocket-port-forward.ts';

const MiB = 1 << 20;
let wss: WebSocketServer | undefined;

afterEach(() => wss?.close());

/** A kubelet-side forwarded connection for port 80 and the direct client's WebSocket to it. */
async function forwarded(): Promise<{ client: WebSocket; server: WebSocket; stream: Duplex }> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, handleProtocols: () => WS_PROTOCOL.v4 });
  wss = server;
  await new Promise((resolve) => server.once('listening', resolve));
  const accepted = new Promise<{ server: WebSocket; stream: Duplex }>((resolve) => {
    server.once('connection', (ws) => serveWebSocketPortForward(ws, [80], (conn) => resolve({ server: ws, stream: conn.stream })));
  });
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, [WS_PROTOCOL.v4], { perMessageDeflate: false });
  client.on('message', () => undefined);
  await new Promise((resolve) => client.once('open', resolve));
  return { client, ...(await accepted) };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('WebSocket port-forward backpressure', () => {
  it('a forwarded connection that is not read pauses the WebSocket instead of buffering all it sends', async () => {
    const { client, server, stream } = await forwarded();
    const chunk = Buffer.alloc(MiB, 1);
    for (let i = 0; i < 32; i++) client.send(encodeChannelMessage(WS_PROTOCOL.v4, 0, chunk));
    while (!server.isPaused && stream.readableLength < 16 * MiB) await nextTurn();
    expect(stream.readableLength).toBeLessThan(16 * MiB);
    let got = stream.readableLength;
    stream.on('data', (d: Buffer) => (got += d.length));
    stream.read(0);
    while (got < 32 * MiB) await nextTurn();
    expect(got).toBe(32 * MiB);
    client.terminate();
  });

  it('writes to a client that does not read wait for the WebSocket to drain', async () => {
    const { client, stream } = await forwarded();
    client.pause();
    const chunk = Buffer.alloc(MiB, 2);
    let accepted = 0;
    while (accepted < 64 * MiB && stream.write(chunk)) accepted += chunk.length;
    expect(accepted).toBeLessThan(64 * MiB);
    client.terminate();
  });

  it('a forwarded connection torn down (its pod connection reset) is done: the WebSocket closes', async () => {
    const { client, stream } = await forwarded();
    const closed = new Promise((resolve) => client.once('close', resolve));
    stream.destroy();
    expect(await closed).toBe(1000);
  });

  it('what arrived before the client closed stays readable, and the stream ends after it', async () => {
    const { client, server, stream } = await forwarded();
    client.send(encodeChannelMessage(WS_PROTOCOL.v4, 0, Buffer.from('last words')));
    client.close(1000);
    await new Promise((resolve) => server.once('close', resolve));
    const chunks: Buffer[] = [];
    stream.on('data', (d: Buffer) => chunks.push(d));
    await new Promise((resolve) => stream.once('end', resolve));
    expect(Buffer.concat(chunks).toString()).toBe('last words');
  });
});

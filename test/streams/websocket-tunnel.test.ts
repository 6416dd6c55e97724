import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { tunnelWebSocket } from '../../src/streams/websocket-tunnel.ts';
import { slowPeer, type SlowPeer } from './slow-peer.ts';

const KiB = 1 << 10;
const MiB = 1 << 20;
let wss: WebSocketServer | undefined;

afterEach(() => wss?.close());

/** kubectl's WebSocket (`client`) tunnelled by the API server (`server`) to a kubelet connection (`kubelet`). */
async function tunnel(kubelet: SlowPeer): Promise<{ client: WebSocket; server: WebSocket }> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  wss = server;
  await new Promise((resolve) => server.once('listening', resolve));
  const accepted = new Promise<WebSocket>((resolve) => {
    server.once('connection', (ws) => {
      tunnelWebSocket(ws, kubelet.socket);
      resolve(ws);
    });
  });
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, { perMessageDeflate: false });
  await new Promise((resolve) => client.once('open', resolve));
  return { client, server: await accepted };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const total = (chunks: Buffer[]): number => chunks.reduce((n, c) => n + c.length, 0);
/** `count` distinct chunks of `size` bytes, so a lost or reordered one shows. */
const chunks = (count: number, size: number): Buffer[] => Array.from({ length: count }, (_, i) => Buffer.alloc(size, i));

describe('tunnelWebSocket', () => {
  it('kubectl sends its last bytes and closes at once: a slow kubelet still gets every byte, then FIN', async () => {
    const kubelet = slowPeer(64 * MiB);
    const { client } = await tunnel(kubelet);
    const payload = chunks(64, 64 * KiB);
    for (const c of payload) client.send(c);
    client.close(1000);
    const outcome = new Promise((resolve) => {
      kubelet.socket.once('finish', () => resolve('finished'));
      kubelet.socket.once('close', () => resolve('closed'));
    });
    while (!kubelet.socket.destroyed && !kubelet.socket.writableEnded) await nextTurn();
    kubelet.flush();
    expect(await outcome).toBe('finished');
    expect(Buffer.concat(kubelet.received).equals(Buffer.concat(payload))).toBe(true);
  });

  it('a kubelet that does not read pauses kubectl\'s WebSocket instead of queueing all it sends', async () => {
    const kubelet = slowPeer();
    const { client, server } = await tunnel(kubelet);
    for (const c of chunks(512, 64 * KiB)) client.send(c);
    while (!server.isPaused && kubelet.socket.writableLength < 16 * MiB) await nextTurn();
    expect(kubelet.socket.writableLength).toBeLessThan(16 * MiB);
    while (total(kubelet.received) < 32 * MiB) {
      kubelet.flush();
      await nextTurn();
    }
    expect(total(kubelet.received)).toBe(32 * MiB);
    client.terminate();
  });

  it('the kubelet sends its last bytes and ends: kubectl reading late gets every byte and a normal close, with ws\'s queue bounded meanwhile', async () => {
    const kubelet = slowPeer();
    const { client, server } = await tunnel(kubelet);
    const payload = chunks(512, 64 * KiB);
    for (const c of payload) kubelet.socket.push(c);
    kubelet.socket.push(null);
    client.pause();
    while (!kubelet.socket.isPaused() && server.bufferedAmount < 16 * MiB) await nextTurn();
    expect(server.bufferedAmount).toBeLessThan(16 * MiB);
    const got: Buffer[] = [];
    client.on('message', (m: Buffer) => got.push(m));
    const closed = new Promise((resolve) => client.once('close', resolve));
    client.resume();
    expect(await closed).toBe(1000);
    expect(Buffer.concat(got).equals(Buffer.concat(payload))).toBe(true);
  });

  it('kubectl vanishing destroys the kubelet connection at once, queued bytes and all; a kubelet reset terminates the WebSocket', async () => {
    const gone = slowPeer(64 * MiB);
    const first = await tunnel(gone);
    first.client.send(Buffer.alloc(64 * KiB));
    while (gone.socket.writableLength === 0) await nextTurn();
    first.client.terminate();
    await new Promise((resolve) => gone.socket.once('close', resolve));
    expect(gone.socket.writableFinished).toBe(false);

    const reset = slowPeer();
    const second = await tunnel(reset);
    const closed = new Promise((resolve) => second.client.once('close', resolve));
    reset.socket.destroy(new Error('read ECONNRESET'));
    expect(await closed).toBe(1006);
  });
});

// The sidecar's directory client against hand-written servers: liveness, and what it does with
// a server that cannot prove it holds the pod's credential.
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { createLogger } from '../../src/log/logger.ts';
import { newNodeSecret, podCredential } from '../../src/network/service-directory/credentials.ts';
import { MessageSealer, newNonce, sessionKey } from '../../src/network/service-directory/directory-auth.ts';
import { directoryHeaders, type SnapshotMessage } from '../../src/network/service-directory/protocol.ts';
import { DirectoryClient } from '../../src/sidecar/directory-client.ts';

const log = createLogger('silent', 'test');
const secret = newNodeSecret();
const credential = podCredential(secret, 'p');
const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

/** A WebSocket server that answers upgrades with a server nonce (or not) and hands each connection to `onConnection`. */
async function fakeDirectory(
  withNonce: boolean,
  onConnection: (ws: WebSocket, session: { clientNonce: string; serverNonce: string }) => void,
): Promise<{ url: string; connections: () => number }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  closers.push(() => wss.close());
  const nonces = new WeakMap<IncomingMessage, string>();
  wss.on('headers', (headers, req) => {
    const nonce = newNonce();
    nonces.set(req, nonce);
    if (withNonce) headers.push(`${directoryHeaders.serverNonce}: ${nonce}`);
  });
  let connections = 0;
  wss.on('connection', (ws, req) => {
    connections++;
    onConnection(ws, { clientNonce: String(req.headers[directoryHeaders.clientNonce]), serverNonce: nonces.get(req)! });
  });
  return { url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}/`, connections: () => connections };
}

function startClient(url: string, extra: { livenessMs?: number } = {}): DirectoryClient {
  const client = new DirectoryClient({ url, podUid: 'p', credential, log, onTable: () => {}, minBackoffMs: 20, maxBackoffMs: 40, ...extra });
  client.start();
  closers.push(() => client.stop());
  return client;
}

async function until(what: string, check: () => boolean): Promise<void> {
  const end = Date.now() + 3000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const snapshot = Buffer.from(JSON.stringify({ type: 'snapshot', epoch: 'e', revision: 4, services: [], slices: [] } satisfies SnapshotMessage));

/** The snapshot sealed under the session key of `cred`. */
function sealed(cred: string, session: { clientNonce: string; serverNonce: string }): Buffer {
  const sealer = new MessageSealer(sessionKey(cred, { podUid: 'p', ...session }));
  return Buffer.concat([sealer.seal(snapshot), snapshot]);
}

describe('DirectoryClient', () => {
  it('replaces a connection that has gone silent, and reconnects after a close, with backoff', async () => {
    const dir = await fakeDirectory(true, () => {}); // accepts, then says nothing: a dead peer
    const client = startClient(dir.url, { livenessMs: 150 });
    await until('the first connection', () => client.connected);
    await until('two replacements', () => dir.connections() >= 3);
  });

  it('applies a message sealed for its session', async () => {
    const dir = await fakeDirectory(true, (ws, session) => ws.send(sealed(credential, session)));
    const client = startClient(dir.url);
    await until('the snapshot', () => client.replica.revision === 4);
    expect(dir.connections()).toBe(1);
  });

  it.each<[string, boolean, (ws: WebSocket, session: { clientNonce: string; serverNonce: string }) => void]>([
    ['a server that sends no nonce', false, (ws) => ws.send(snapshot)],
    ['an unsealed message', true, (ws) => ws.send(snapshot)],
    ['a message sealed with another pod\'s credential', true, (ws, s) => ws.send(sealed(podCredential(secret, 'q'), s))],
    ['a message sealed for another session', true, (ws, s) => ws.send(sealed(credential, { ...s, serverNonce: newNonce() }))],
    ['a sealed message sent as text', true, (ws, s) => ws.send(sealed(credential, s).toString('latin1'))],
  ])('follows nothing from %s, and reconnects', async (_name, withNonce, behave) => {
    const dir = await fakeDirectory(withNonce, behave);
    const client = startClient(dir.url);
    await until('reconnects', () => dir.connections() >= 3);
    expect(client.replica.hasState).toBe(false);
  });
});

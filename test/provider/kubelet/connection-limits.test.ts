// Slowloris on the kubelet port (issue #12 item 3): 4,000 unauthenticated half-sent requests
// took burstlet from 125 to 384 MB. Handshake and headers now have a deadline, and at most
// maxUnadmitted connections may wait without an authenticated request.
import https from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeletAuth } from '../../../src/provider/kubelet/auth.ts';
import type { KubeletBackend } from '../../../src/provider/kubelet/backend.ts';
import { startKubeletServer, type KubeletServer } from '../../../src/provider/kubelet/server.ts';
import { selfSignedServingCert } from '../../../src/provider/kubelet/serving-cert.ts';

const backend: KubeletBackend = {
  pods: () => [],
  findPod: () => undefined,
  logs: async () => Readable.from([]),
  exec: async () => { throw new Error('no exec here'); },
  attach: async () => { throw new Error('no attach here'); },
  portForward: async () => { throw new Error('no port-forward here'); },
  stats: async () => [],
};

let server: KubeletServer;

beforeAll(async () => {
  server = await startKubeletServer({
    nodeName: 'vk',
    host: '127.0.0.1',
    port: 0,
    tls: await selfSignedServingCert('vk', ['127.0.0.1']),
    auth: new KubeletAuth({
      anonymous: false,
      webhookTokens: true,
      reviews: { tokenReview: async (t) => (t === 'ok' ? { username: 'alice', groups: [] } : null), subjectAccessReview: async () => true },
    }),
    backend,
    limits: { headerTimeoutMs: 600, requestTimeoutMs: 600, maxUnadmitted: 5 },
  });
});

afterAll(() => server.close());

/** A TLS connection that sends half a request, then nothing; resolves with how long the server kept it. */
function halfSent(): Promise<number> {
  const opened = Date.now();
  const s = tlsConnect({ host: '127.0.0.1', port: server.port, rejectUnauthorized: false }, () => s.write('GET /pods HTTP/1.1\r\nHost: x\r\nX-Slow: '));
  s.on('error', () => undefined);
  s.resume();
  return new Promise((resolve) => s.once('close', () => resolve(Date.now() - opened)));
}

function get(token: string): Promise<{ status: number; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    // A keep-alive client: the server decides whether the connection stays.
    const agent = new https.Agent({ keepAlive: true });
    https.get(`https://127.0.0.1:${server.port}/healthz`, { rejectUnauthorized: false, agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      agent.destroy();
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection }));
    }).once('error', reject);
  });
}

describe('kubelet API connection limits', () => {
  it('closes half-sent requests: past the cap at once, the rest at the header deadline; then serves', async () => {
    const lifetimes = await Promise.all(Array.from({ length: 20 }, halfSent));
    expect(lifetimes.filter((ms) => ms < 500).length).toBeGreaterThanOrEqual(15);
    expect(Math.max(...lifetimes)).toBeLessThan(5_000);
    expect((await get('ok')).status).toBe(200);
  });

  it('closes the connection after refusing a request, so a refused client holds no slot', async () => {
    expect(await get('ok')).toEqual({ status: 200, connection: 'keep-alive' });
    expect(await get('wrong')).toEqual({ status: 401, connection: 'close' });
  });
});

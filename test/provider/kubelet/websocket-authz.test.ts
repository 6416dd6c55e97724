// The decision on WebSocket exec (issue #12 item 12): a WebSocket upgrade is an HTTP GET, which
// the kubelet's method→verb mapping authorizes as `get`, so `get nodes/proxy` (often granted as
// "read-only", e.g. to monitoring) ran commands in every container (kubernetes#136550). burstlet
// authorizes /exec, /attach, /portForward and /run as `create` whatever the method.
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { KubeletAuth } from '../../../src/provider/kubelet/auth.ts';
import type { KubeletBackend } from '../../../src/provider/kubelet/backend.ts';
import { startKubeletServer, type KubeletServer } from '../../../src/provider/kubelet/server.ts';
import { selfSignedServingCert } from '../../../src/provider/kubelet/serving-cert.ts';
import type { Pod } from '../../../src/kube/wire.ts';

const POD: Pod = { metadata: { name: 'web', namespace: 'ns', uid: 'u' }, spec: { containers: [{ name: 'app', image: 'nginx' }] } };
const backend: KubeletBackend = {
  pods: () => [POD],
  findPod: (ns, name) => (ns === 'ns' && name === 'web' ? POD : undefined),
  logs: async () => Readable.from([]),
  exec: async () => ({ protocol: 'fake', stdin: null, stdout: Readable.from([Buffer.from('ran\n')]), stderr: null, resize: () => undefined, result: Promise.resolve({ exitCode: 0 }), close: () => undefined }),
  attach: async () => { throw new Error('no attach'); },
  portForward: async () => { throw new Error('no port-forward'); },
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
      reviews: {
        tokenReview: async (t) => ({ viewer: { username: 'viewer', groups: [] }, operator: { username: 'operator', groups: [] } })[t] ?? null,
        // viewer: get nodes/proxy only ("read-only"); operator: create too.
        subjectAccessReview: async (user, attrs) => {
          return attrs.verb === 'get' || user.username === 'operator';
        },
      },
    }),
    backend,
  });
});

afterAll(() => server.close());

function upgrade(path: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`wss://127.0.0.1:${server.port}${path}`, ['v4.channel.k8s.io'], { rejectUnauthorized: false, headers: { authorization: `Bearer ${token}` } });
    // Closing during the 'upgrade' event (still CONNECTING) makes ws throw; end once open.
    ws.on('error', () => undefined);
    ws.once('upgrade', () => resolve({ status: 101, body: '' }));
    ws.once('open', () => ws.terminate());
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
  });
}

describe('WebSocket (GET) upgrades to streaming endpoints need create', () => {
  it.each(['/exec/ns/web/app?command=id&output=1', '/attach/ns/web/app?output=1', '/portForward/ns/web?port=80'])('%s: 403 for get-only, 101 for create', async (path) => {
    expect(await upgrade(path, 'viewer')).toEqual({ status: 403, body: 'Forbidden (user=viewer, verb=create, resource=nodes, subresource(s)=[proxy])\n' });
    expect((await upgrade(path, 'operator')).status).toBe(101);
  });
});

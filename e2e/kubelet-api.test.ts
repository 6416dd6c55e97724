// burstlet's kubelet API server behind the local API server: TokenReview and
// SubjectAccessReview against the real (local) apiserver, 401/403 on the kubelet port directly,
// and real kubectl exec/port-forward through the apiserver's proxy into the kubelet server
// (commands run on this host through the test backend).
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../src/local/apiserver/index.ts';
import { podProxyExtension } from '../src/local/proxy/index.ts';
import { KubeClient, loadKubeConfig } from '../src/kube/client.ts';
import type { Pod } from '../src/kube/wire.ts';
import { KubeletAuth } from '../src/provider/kubelet/auth.ts';
import { kubeReviewClient } from '../src/provider/kubelet/reviews.ts';
import { startKubeletServer, type KubeletServer } from '../src/provider/kubelet/server.ts';
import { selfSignedServingCert } from '../src/provider/kubelet/serving-cert.ts';
import { kubectlFor, type Kubectl } from './support/kubectl.ts';
import { localProcessBackend } from './support/test-kubelet.ts';

const POD: Pod = { metadata: { name: 'p', namespace: 'default', uid: 'u' }, spec: { nodeName: 'vk', containers: [{ name: 'app', image: 'nginx' }] } };

let stateDir: string;
let server: ApiServer;
let kube: KubeClient;
let kubelet: KubeletServer;
let echo: net.Server;
let k: Kubectl;

function get(path: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    https
      .get(`https://127.0.0.1:${kubelet.port}${path}`, { rejectUnauthorized: false, headers, agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      })
      .on('error', reject);
  });
}

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'bl-kubelet-api-'));
  server = await startApiServer({
    stateDir,
    port: 0,
    extensions: [podProxyExtension({ allowUnverifiedKubelets: true })],
    denyRules: [{ user: 'bob', resource: 'nodes', subresource: 'proxy' }],
  });
  k = kubectlFor(server.kubeconfigPath);
  kube = await KubeClient.create(loadKubeConfig(server.kubeconfigPath));
  kubelet = await startKubeletServer({
    nodeName: 'vk',
    host: '127.0.0.1',
    port: 0,
    tls: await selfSignedServingCert('vk', ['127.0.0.1']),
    clientCaPem: server.pki.caPem,
    auth: new KubeletAuth({ anonymous: false, webhookTokens: true, reviews: kubeReviewClient(kube) }),
    backend: localProcessBackend(POD),
  });
  echo = net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));

  await k.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'vk' } });
  const status = { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } } } };
  await k.ok(['patch', 'node', 'vk', '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
  await k.create({ apiVersion: 'v1', kind: 'Pod', ...POD });
  await k.ok(['patch', 'pod', 'p', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { phase: 'Running' } })]);
}, 60_000);

afterAll(async () => {
  await kubelet?.close();
  await kube?.close();
  await new Promise<void>((r) => (echo ? echo.close(() => r()) : r()));
  await server?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('kubelet API against the local API server', () => {
  it('401 without credentials, 403 when SubjectAccessReview denies the token, 200 when it allows', async () => {
    expect(await get('/healthz')).toEqual({ status: 401, body: 'Unauthorized\n' });
    expect((await get('/healthz', 'not-a-token')).status).toBe(401);
    const bob = server.pki.mintToken({ username: 'bob', groups: [] });
    expect(await get('/pods', bob)).toEqual({ status: 403, body: 'Forbidden (user=bob, verb=get, resource=nodes, subresource(s)=[proxy])\n' });
    expect((await get('/stats/summary', bob)).status).toBe(200);
  });

  for (const [name, env] of [
    ['WebSocket', {}],
    ['SPDY', { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false', KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }],
  ] as [string, Record<string, string>][]) {
    it(`kubectl 1.33 (${name}) exec through the proxy into the kubelet server`, async () => {
      const hi = await k.run(['exec', 'p', '--', 'echo', 'hi'], { env });
      expect(hi.stdout, hi.stderr).toBe('hi\n');
      expect((await k.run(['exec', 'p', '--', 'sh', '-c', 'exit 3'], { env })).code).toBe(3);
    });
  }

  it('kubectl 1.27 exec and port-forward through the proxy into the kubelet server', async () => {
    expect((await k.run(['exec', 'p', '--', 'echo', 'old'], { version: '1.27' })).stdout).toBe('old\n');
    const forward = await k.portForward('pod/p', (echo.address() as AddressInfo).port, { version: '1.27' });
    const local = forward.port;
    try {
      const reply = await new Promise<string>((resolve, reject) => {
        const s = net.connect(local, '127.0.0.1', () => s.end('ping'));
        let got = '';
        s.on('data', (d: Buffer) => (got += d.toString()));
        s.on('end', () => resolve(got));
        s.on('error', reject);
      });
      expect(reply).toBe('ping');
    } finally {
      forward.close();
    }
  });
});

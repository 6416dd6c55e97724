// The kubelet API of `burstlet node` end to end: real kubectl (1.33 over WebSocket, 1.33 over
// SPDY, 1.27) → the local API server's pod proxy (with its kubelet client certificate) →
// burstlet's kubelet HTTPS API → the mock CCI's exec/log/port-forward of the pod. The kubectl
// scenario is shared with the real control plane's (support/streams-scenario.ts).
// The API server runs in this process (same server and pod proxy as `burstlet local`) so
// that the test can give it a deny rule: the kubelet's SubjectAccessReview must answer 403.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedRuntime } from './support/isolated.ts';
import { startApiServer, type ApiServer } from '../src/local/apiserver/index.ts';
import { podProxyExtension } from '../src/local/proxy/index.ts';
import { randomSubnet, startBurstNode, startMockCci, type BurstNode, type MockCci } from './support/burst-node.ts';
import { kubectlFor, type Kubectl } from './support/kubectl.ts';
import { freePort } from '../src/local/free-port.ts';
import { curl, kubectlStreamsScenario, streamsPods, waitRunning } from './support/streams-scenario.ts';

const NODE = 'burst-streams';
const DENIED_SA = 'kubelet-denied';
const isolated = isolatedRuntime.ok;
const tmp = mkdtempSync(join(tmpdir(), 'bl-streams-'));
const kubeletPort = await freePort();

let server: ApiServer;
let cci: MockCci;
let node: BurstNode;
let k: Kubectl;

/** A token of the ServiceAccount (created when missing), from the TokenRequest API (as JSON: the local API server speaks no protobuf). */
async function serviceAccountToken(name: string): Promise<string> {
  await k.run(['create', '-f', '-'], { stdin: JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: 'default' } }) });
  const request = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } });
  const r = JSON.parse(await k.ok(['create', '--raw', `/api/v1/namespaces/default/serviceaccounts/${name}/token`, '-f', '-'], { stdin: request })) as { status: { token: string } };
  return r.status.token;
}

beforeAll(async () => {
  server = await startApiServer({
    stateDir: join(tmp, 'api'),
    port: 0,
    extensions: [podProxyExtension({ allowUnverifiedKubelets: true })],
    denyRules: [{ user: `system:serviceaccount:default:${DENIED_SA}` }],
  });
  k = kubectlFor(server.kubeconfigPath);
  cci = await startMockCci({ subnet: randomSubnet(), args: isolated ? ['--runtime=isolated', `--state-dir=${join(tmp, 'cci')}`] : [] });
  node = await startBurstNode({
    kubeconfig: server.kubeconfigPath,
    cci,
    name: NODE,
    args: ['--address=127.0.0.1', `--port=${kubeletPort}`, `--client-ca-file=${join(tmp, 'api', 'ca.pem')}`, '--authentication-token-webhook'],
  });
  await k.create(...streamsPods(NODE));
  await Promise.all([waitRunning(k, 'shell'), waitRunning(k, 'web')]);
}, 120_000);

afterAll(async () => {
  await node?.stop();
  await cci?.stop();
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

kubectlStreamsScenario(() => ({ k, tmp }));

describe('the kubelet port directly', () => {
  const url = `https://127.0.0.1:${kubeletPort}`;

  it('401 without credentials', async () => {
    const r = await curl(['-o', '/dev/null', '-w', '%{http_code}', `${url}/pods`]);
    expect(r.stdout).toBe('401');
  });

  it('200 with a service account token that SubjectAccessReview allows; 403 with one it denies', async () => {
    const allowed = await serviceAccountToken('kubelet-allowed');
    const denied = await serviceAccountToken(DENIED_SA);
    const pods = await curl(['-H', `Authorization: Bearer ${allowed}`, `${url}/pods`]);
    expect((JSON.parse(pods.stdout) as { items: { metadata: { name: string } }[] }).items.map((p) => p.metadata.name).sort()).toEqual(['restarter', 'shell', 'web']);
    const r = await curl(['-w', '\n%{http_code}', '-H', `Authorization: Bearer ${denied}`, `${url}/pods`]);
    const [body, code] = [r.stdout.slice(0, r.stdout.lastIndexOf('\n')), r.stdout.slice(r.stdout.lastIndexOf('\n') + 1)];
    expect(code).toBe('403');
    expect(body).toContain(`system:serviceaccount:default:${DENIED_SA}`);
  });

  it('/stats/summary has real figures for the running pods', async () => {
    const token = await serviceAccountToken('kubelet-allowed');
    const r = await curl(['-H', `Authorization: Bearer ${token}`, `${url}/stats/summary`]);
    const summary = JSON.parse(r.stdout) as { pods: { podRef: { name: string }; memory?: { workingSetBytes?: number } }[] };
    const shell = summary.pods.find((p) => p.podRef.name === 'shell');
    expect(shell?.memory?.workingSetBytes).toBeGreaterThan(0);
  });

  it('/metrics/resource has metrics-server\'s names and labels with real figures', async () => {
    const token = await serviceAccountToken('kubelet-allowed');
    const r = await curl(['-H', `Authorization: Bearer ${token}`, `${url}/metrics/resource`]);
    const sample = (name: string, labels: string): number => Number(new RegExp(`^${name}\\{${labels}\\} (\\S+) \\d+$`, 'm').exec(r.stdout)?.[1]);
    expect(sample('container_cpu_usage_seconds_total', 'container="nginx",namespace="default",pod="web"')).toBeGreaterThan(0);
    expect(sample('container_memory_working_set_bytes', 'container="app",namespace="default",pod="shell"')).toBeGreaterThan(0);
    expect(sample('pod_memory_working_set_bytes', 'namespace="default",pod="web"')).toBeGreaterThan(0);
  });
});


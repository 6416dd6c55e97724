// The virtual node end to end: the local control plane, `burstlet mock-cci --runtime=process`
// and `burstlet node` as processes, driven with the real kubectl 1.33.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterSum, randomSubnet, startBurstNode, startMockCci, type BurstNode, type MockCci } from './support/burst-node.ts';
import { startLocalCluster, type LocalCluster } from './support/local-cluster.ts';
import { waitFor } from './support/poll.ts';

const NODE = 'burst-e2e';
const subnet = randomSubnet();
const prefix = subnet.replace(/\.0\/24$/, '.');

let cluster: LocalCluster;
let cci: MockCci;
let node: BurstNode;

interface PodJson {
  metadata: { uid: string };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    podIP?: string;
    containerStatuses?: { name: string; restartCount: number; ready: boolean; containerID?: string; state?: Record<string, { exitCode?: number; reason?: string }> }[];
  };
}

function podYaml(name: string, spec: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 5
  tolerations:
  - {key: virtual-kubelet.io/provider, operator: Exists, effect: NoSchedule}
${spec}`;
}

async function getPod(name: string): Promise<PodJson> {
  return JSON.parse(await cluster.kubectl.ok(['get', 'pod', name, '-o', 'json'])) as PodJson;
}

async function apply(name: string, spec: string): Promise<void> {
  await cluster.kubectl.ok(['apply', '-f', '-'], { stdin: podYaml(name, spec) });
}

function waitPod(name: string, what: string, ok: (p: PodJson) => boolean, timeoutMs = 30_000): Promise<PodJson> {
  return waitFor(`${name}: ${what}`, async () => {
    const p = await getPod(name);
    return ok(p) ? p : undefined;
  }, { timeoutMs: timeoutMs });
}

async function events(name: string): Promise<string> {
  return cluster.kubectl.ok(['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message', '--no-headers']);
}

beforeAll(async () => {
  cluster = await startLocalCluster();
  cci = await startMockCci({ subnet });
  node = await startBurstNode({ kubeconfig: cluster.kubeconfig, cci, name: NODE, clientCaFile: join(cluster.stateDir, 'ca.pem'), args: ['--cluster-dns=198.19.0.10'] });
});

afterAll(async () => {
  await node?.stop();
  await cci?.stop();
  await cluster?.stop();
});

describe('burstlet node with mock CCI and kubectl', () => {
  it('registers a Ready node with the taint, labels and a burstlet kubeletVersion, and a Lease', async () => {
    const n = JSON.parse(await cluster.kubectl.ok(['get', 'node', NODE, '-o', 'json'])) as {
      metadata: { labels: Record<string, string> };
      spec: { taints: { key: string; value: string; effect: string }[] };
      status: { conditions: { type: string; status: string }[]; allocatable: Record<string, string>; nodeInfo: { kubeletVersion: string } };
    };
    expect(n.metadata.labels).toMatchObject({ type: 'virtual-kubelet', 'kubernetes.io/role': 'agent', 'virtual-kubelet.io/provider': 'cci' });
    expect(n.spec.taints).toEqual([{ key: 'virtual-kubelet.io/provider', value: 'cci', effect: 'NoSchedule' }]);
    expect(n.status.conditions.find((c) => c.type === 'Ready')!.status).toBe('True');
    expect(Number(n.status.allocatable.pods)).toBeGreaterThan(0);
    expect(Number(n.status.allocatable.pods)).toBeLessThanOrEqual(254);
    expect(n.status.nodeInfo.kubeletVersion).toMatch(/^v1\.33\.0-burstlet-/);
    const lease = JSON.parse(await cluster.kubectl.ok(['get', 'lease', '-n', 'kube-node-lease', NODE, '-o', 'json'])) as {
      metadata: { ownerReferences: { kind: string; name: string }[] };
      spec: { holderIdentity: string; leaseDurationSeconds: number; renewTime: string };
    };
    expect(lease.spec).toMatchObject({ holderIdentity: NODE, leaseDurationSeconds: 40 });
    expect(lease.metadata.ownerReferences).toMatchObject([{ kind: 'Node', name: NODE }]);
    const describe = await cluster.kubectl.ok(['describe', 'node', NODE]);
    expect(describe).toMatch(/Ready\s+True\s.*KubeletReady/);
    expect(describe).toMatch(/Taints:\s+virtual-kubelet\.io\/provider=cci:NoSchedule/);
  });

  it('runs a pod: Running with a podIP from the subnet, status as the backend has it, events, delete within grace and nothing left', async () => {
    await apply('web', '  containers:\n  - {name: main, image: busybox, command: [sh, -c, "echo started; exec sleep 3600"]}\n');
    const p = await waitPod('web', 'Running and ready', (x) => x.status?.phase === 'Running' && x.status.containerStatuses?.[0]?.ready === true);
    expect(p.status!.podIP!.startsWith(prefix)).toBe(true);
    const backend = (await cci.pods()).find((c) => c.metadata.annotations?.['burstlet.io/pod-uid'] === p.metadata.uid)!;
    expect(backend.status!.podIP).toBe(p.status!.podIP);
    expect(p.status!.containerStatuses![0]!.containerID).toBe(backend.status!.containerStatuses!.find((c) => c.name === 'main')!.containerID);
    const yaml = await cluster.kubectl.ok(['get', 'pod', 'web', '-o', 'yaml']);
    expect(yaml).toContain(`podIP: ${p.status!.podIP}`);
    expect(yaml).toContain('qosClass: BestEffort');
    // The CCI flavor the pod was rounded to, on the Kubernetes pod too.
    expect(yaml).toMatch(/burstlet\.io\/flavor-cpu: 250m\n/);
    await waitFor('Started event', async () => ((await events('web')).includes('Started') ? true : undefined), { timeoutMs: 10_000 });
    expect(await events('web')).toMatch(/Normal\s+Started\s+Started container main/);
    // One event per start, as CCI shows it: no Created at the same instant.
    expect(await events('web')).not.toMatch(/\sCreated\s/);

    // The kubelet API, through the API server: logs and exec reach the CCI pod.
    expect(await cluster.kubectl.ok(['logs', 'web'])).toBe('started\n');
    expect(await cluster.kubectl.ok(['exec', 'web', '--', 'sh', '-c', 'echo from-exec; exit 0'])).toBe('from-exec\n');
    const failing = await cluster.kubectl.run(['exec', 'web', '--', 'sh', '-c', 'exit 7']);
    expect(failing.code).toBe(7);

    const started = Date.now();
    await cluster.kubectl.ok(['delete', 'pod', 'web', '--wait=true', '--timeout=30s']);
    expect(Date.now() - started).toBeLessThan(5_000 + 2_000);
    const left = (await cci.pods()).filter((c) => c.metadata.annotations?.['burstlet.io/pod-uid'] === p.metadata.uid);
    expect(left).toEqual([]);
  });

  it('shows a container that exits 3 as terminated with exitCode 3', async () => {
    await apply('exit3', '  restartPolicy: Never\n  containers:\n  - {name: main, image: busybox, command: [sh, -c, "exit 3"]}\n');
    const p = await waitPod('exit3', 'Failed', (x) => x.status?.phase === 'Failed');
    expect(p.status!.containerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 3 });
    // A finished pod leaves the API at once; its CCI pod must follow.
    await cluster.kubectl.ok(['delete', 'pod', 'exit3', '--wait=true']);
    await waitFor('exit3 CCI pod gone', async () => ((await cci.pods()).some((c) => c.metadata.annotations?.['burstlet.io/pod-uid'] === p.metadata.uid) ? undefined : true), { timeoutMs: 10_000 });
  });

  it('restarts with restartPolicy Always and counts restarts', async () => {
    await apply('crasher', '  containers:\n  - {name: main, image: busybox, command: [sh, -c, "sleep 0.2; exit 1"]}\n');
    const p = await waitPod('crasher', 'restartCount ≥ 1', (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 40_000);
    expect(p.status!.phase).not.toBe('Failed');
    await cluster.kubectl.ok(['delete', 'pod', 'crasher', '--wait=true']);
  });

  it('refuses a hostNetwork pod: Failed with reason and a Warning event that describe shows', async () => {
    await apply('hostnet', '  hostNetwork: true\n  containers:\n  - {name: main, image: busybox, command: [sleep, "3600"]}\n');
    const p = await waitPod('hostnet', 'Failed', (x) => x.status?.phase === 'Failed');
    expect(p.status!.reason).toBe('UnsupportedHostNetwork');
    const describe = await cluster.kubectl.ok(['describe', 'pod', 'hostnet']);
    expect(describe).toMatch(/Reason:\s+UnsupportedHostNetwork/);
    expect(describe).toMatch(/Warning\s+UnsupportedHostNetwork/);
    expect((await cci.pods()).some((c) => c.metadata.annotations?.['burstlet.io/pod-uid'] === p.metadata.uid)).toBe(false);
    await cluster.kubectl.ok(['delete', 'pod', 'hostnet', '--wait=true']);
  });

  it('waits for a missing ConfigMap (CreateContainerConfigError), then runs once it appears', async () => {
    await apply('needs-cm', '  containers:\n  - name: main\n    image: busybox\n    command: [sleep, "3600"]\n    env:\n    - name: X\n      valueFrom: {configMapKeyRef: {name: late-cm, key: x}}\n');
    const waiting = await waitPod('needs-cm', 'CreateContainerConfigError', (x) => x.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError');
    expect(waiting.status!.phase).toBe('Pending');
    expect(await events('needs-cm')).toMatch(/Warning\s+Failed\s+Error: configmap "late-cm" not found/);
    await cluster.kubectl.ok(['apply', '-f', '-'], { stdin: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: late-cm}\ndata: {x: "1"}\n' });
    await waitPod('needs-cm', 'Running', (x) => x.status?.phase === 'Running', 15_000);
    await cluster.kubectl.ok(['delete', 'pod', 'needs-cm', '--wait=true']);
  });

  it('counts its API requests in its metrics', async () => {
    const text = await node.metrics();
    expect(counterSum(text, 'burstlet_kube_api_requests_total', { verb: 'PATCH', resource: 'pods/status' })).toBeGreaterThan(0);
    // web, crasher and needs-cm were running: burstlet completes their deletion (grace 0, uid precondition).
    expect(counterSum(text, 'burstlet_kube_api_requests_total', { verb: 'DELETE', resource: 'pods' })).toBeGreaterThanOrEqual(3);
  });
});

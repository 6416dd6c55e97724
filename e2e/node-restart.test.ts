// Restarting `burstlet node` under 200 running pods recreates and duplicates nothing and
// status keeps flowing; with 20% injected CCI errors every pod still converges, once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CciClient } from '../src/cci/client.ts';
import { KubeClient, loadKubeConfig } from '../src/kube/client.ts';
import type { Pod } from '../src/kube/wire.ts';
import { counterSum, randomSubnet, startBurstNode, startMockCci, type BurstNode, type MockCci } from './support/burst-node.ts';
import { startLocalCluster, type LocalCluster } from './support/local-cluster.ts';
import { waitFor } from './support/poll.ts';
import { freePort } from '../src/local/free-port.ts';

let cluster: LocalCluster;
let kube: KubeClient;

beforeAll(async () => {
  cluster = await startLocalCluster();
  kube = await KubeClient.create(loadKubeConfig(cluster.kubeconfig));
});

afterAll(async () => {
  await kube?.close();
  await cluster?.stop();
});

async function createPods(node: string, prefix: string, n: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: 20 }, async () => {
    while (next < n) {
      const i = next++;
      await kube.request('POST', '/api/v1/namespaces/default/pods', {
        body: {
          apiVersion: 'v1', kind: 'Pod',
          metadata: { name: `${prefix}-${i}` },
          spec: {
            nodeName: node,
            terminationGracePeriodSeconds: 2,
            tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
            containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }],
          },
        },
      });
    }
  }));
}

async function podsOf(node: string): Promise<Pod[]> {
  const list = await kube.request<{ items: Pod[] }>('GET', '/api/v1/pods', { query: { fieldSelector: `spec.nodeName=${node}` } });
  return list.items;
}

function allRunning(node: string, n: number, timeoutMs: number): Promise<Pod[]> {
  return waitFor(`${n} pods Running on ${node}`, async () => {
    const pods = await podsOf(node);
    return pods.length === n && pods.every((p) => p.status?.phase === 'Running') ? pods : undefined;
  }, { timeoutMs: timeoutMs, intervalMs: 500 });
}

/** CCI pods by the Kubernetes pod uid they belong to. */
async function cciByPodUID(cci: MockCci): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const p of await cci.pods()) {
    const uid = p.metadata.annotations?.['burstlet.io/pod-uid'];
    if (!uid) continue;
    out.set(uid, [...(out.get(uid) ?? []), p.metadata.uid!]);
  }
  return out;
}

describe('restart of burstlet node with 200 running pods', () => {
  const NODE = 'burst-restart';
  let cci: MockCci;
  let node: BurstNode;

  beforeAll(async () => {
    cci = await startMockCci({ subnet: randomSubnet() });
    node = await startBurstNode({ kubeconfig: cluster.kubeconfig, cci, name: NODE, args: ['--cluster-dns=198.19.0.10'] });
  });
  afterAll(async () => {
    await node?.stop();
    await cci?.stop();
  });

  it('recreates nothing, duplicates nothing, and keeps status flowing', async () => {
    await createPods(NODE, 'r', 200);
    const pods = await allRunning(NODE, 200, 90_000);
    const before = await cciByPodUID(cci);
    expect(before.size).toBe(200);
    for (const p of pods) expect(before.get(p.metadata!.uid!)).toHaveLength(1);

    // While the node is down: one pod is force-deleted from the API (its CCI pod is now an
    // orphan), and one running pod loses its CCI pod behind burstlet's back.
    await node.stop();
    const [victim, orphaned, lost] = pods;
    await kube.request('DELETE', `/api/v1/namespaces/default/pods/${orphaned!.metadata!.name}`, { body: { gracePeriodSeconds: 0 } });
    const lostCci = (await cci.pods()).find((c) => c.metadata.annotations?.['burstlet.io/pod-uid'] === lost!.metadata!.uid)!;
    await cci.deletePod(lostCci.metadata.name);
    await waitFor('lost CCI pod gone', async () => ((await cciByPodUID(cci)).has(lost!.metadata!.uid!) ? undefined : true), { timeoutMs: 10_000 });

    node = await startBurstNode({ kubeconfig: cluster.kubeconfig, cci, name: NODE, args: ['--cluster-dns=198.19.0.10'] });
    // A new pod runs: the restarted node is syncing.
    await createPods(NODE, 'after', 1);
    await waitFor('new pod Running', async () => ((await podsOf(NODE)).find((p) => p.metadata!.name === 'after-0')?.status?.phase === 'Running' ? true : undefined), { timeoutMs: 30_000 });

    // The orphan's CCI pod is deleted; the pod that lost its CCI pod is Failed, not recreated.
    await waitFor('orphan CCI pod deleted', async () => ((await cciByPodUID(cci)).has(orphaned!.metadata!.uid!) ? undefined : true), { timeoutMs: 20_000 });
    const failed = await waitFor('lost pod Failed', async () => {
      const p = (await podsOf(NODE)).find((x) => x.metadata!.uid === lost!.metadata!.uid);
      return p?.status?.phase === 'Failed' ? p : undefined;
    }, { timeoutMs: 20_000 });
    expect(failed.status!.reason).toBe('ProviderPodMissing');

    const after = await cciByPodUID(cci);
    expect(after.has(lost!.metadata!.uid!)).toBe(false);
    for (const [uid, cciUIDs] of before) {
      if (uid === orphaned!.metadata!.uid || uid === lost!.metadata!.uid) continue;
      expect(after.get(uid)).toEqual(cciUIDs);
    }
    expect(after.size).toBe(199);
    expect([...after.values()].every((l) => l.length === 1)).toBe(true);
    expect((await podsOf(NODE)).filter((p) => p.status?.phase === 'Running')).toHaveLength(199);

    // Status still flows both ways: a deletion completes and its CCI pod goes.
    await kube.request('DELETE', `/api/v1/namespaces/default/pods/${victim!.metadata!.name}`);
    await waitFor('victim deleted', async () => ((await podsOf(NODE)).some((p) => p.metadata!.uid === victim!.metadata!.uid) ? undefined : true), { timeoutMs: 20_000 });
    await waitFor('victim CCI pod gone', async () => ((await cciByPodUID(cci)).has(victim!.metadata!.uid!) ? undefined : true), { timeoutMs: 20_000 });
  });
});

describe('20% injected CCI errors', () => {
  const NODE = 'burst-faults';
  let cci: MockCci;
  let node: BurstNode;

  beforeAll(async () => {
    cci = await startMockCci({ subnet: randomSubnet(), args: ['--fault-error-rate=0.2', '--fault-seed=7'] });
    node = await startBurstNode({ kubeconfig: cluster.kubeconfig, cci, name: NODE, args: ['--cluster-dns=198.19.0.10', '--status-resync=5s'] });
  });
  afterAll(async () => {
    await node?.stop();
    await cci?.stop();
  });

  it('every pod converges to Running with exactly one CCI pod, and deletions converge too', async () => {
    await createPods(NODE, 'f', 40);
    const pods = await allRunning(NODE, 40, 90_000);
    const byUID = await waitFor('one CCI pod per pod', async () => {
      const m = await cciByPodUID(cci);
      return m.size === 40 ? m : undefined;
    }, { timeoutMs: 30_000 });
    for (const p of pods) expect(byUID.get(p.metadata!.uid!)).toHaveLength(1);
    // The faults really hit burstlet's CCI calls (and were retried).
    expect(counterSum(await node.metrics(), 'burstlet_cci_errors_total')).toBeGreaterThan(0);

    await Promise.all(pods.slice(0, 20).map((p) => kube.request('DELETE', `/api/v1/namespaces/default/pods/${p.metadata!.name}`)));
    await waitFor('20 pods left', async () => ((await podsOf(NODE)).length === 20 ? true : undefined), { timeoutMs: 60_000 });
    await waitFor('20 CCI pods left', async () => ((await cciByPodUID(cci)).size === 20 ? true : undefined), { timeoutMs: 60_000 });
  });
});

describe('slow CCI (1.5 s per request)', () => {
  const NODE = 'burst-slow';
  let cci: MockCci;
  let node: BurstNode;

  beforeAll(async () => {
    cci = await startMockCci({ subnet: randomSubnet(), args: ['--fault-latency=1500ms', '--log-level=debug'] });
    node = await startBurstNode({ kubeconfig: cluster.kubeconfig, cci, name: NODE, args: ['--cluster-dns=198.19.0.10'] });
  });
  afterAll(async () => {
    await node?.stop();
    await cci?.stop();
  });

  it('a pod deleted while its CCI create is in flight leaves nothing behind', async () => {
    const client = new CciClient({ endpoint: cci.url, token: cci.token, namespace: cci.namespace });
    const events: string[] = [];
    const stop = new AbortController();
    const watching = client.watchPods((await client.listPods()).metadata.resourceVersion, (e) => events.push(e.type), stop.signal);
    try {
      await createPods(NODE, 'inflight', 1);
      const [pod] = await podsOf(NODE);
      // The mock holds every request 1.5 s (and says so at debug level): delete once the create is held.
      await expect.poll(() => cci.logs(), { timeout: 20_000 }).toMatch(/"method":"POST","url":"[^"]*\/pods".*request held/);
      await kube.request('DELETE', `/api/v1/namespaces/default/pods/${pod!.metadata!.name}`, { body: { gracePeriodSeconds: 0 } });
      // The create lands after the pod is gone; burstlet must remove what it created.
      await expect.poll(() => events.filter((t) => t !== 'MODIFIED'), { timeout: 20_000 }).toEqual(['ADDED', 'DELETED']);
      expect(await cci.pods()).toEqual([]);
    } finally {
      stop.abort();
      await watching;
      await client.close();
    }
  });
});

const unreachablePort = await freePort();

describe('CCI unreachable', () => {
  const NODE = 'burst-unreachable';
  const port = unreachablePort;
  const subnet = randomSubnet();
  let cci: MockCci;
  let node: BurstNode;

  afterAll(async () => {
    await node?.stop();
    await cci?.stop();
  });

  async function ready(): Promise<{ status: string; reason?: string; message?: string }> {
    const n = await kube.request<{ status: { conditions: { type: string; status: string; reason?: string; message?: string }[] } }>('GET', `/api/v1/nodes/${NODE}`);
    return n.status.conditions.find((c) => c.type === 'Ready')!;
  }

  it('turns the node Ready=False with reason CCIUnreachable, and Ready again when CCI is back', async () => {
    cci = await startMockCci({ subnet, args: [`--port=${port}`] });
    node = await startBurstNode({ kubeconfig: cluster.kubeconfig, cci, name: NODE, args: ['--node-status-update-frequency=500ms'] });
    expect((await ready()).status).toBe('True');
    const token = cci.token;
    await cci.stop();
    const down = await waitFor('Ready=False', async () => {
      const r = await ready();
      return r.status === 'False' ? r : undefined;
    }, { timeoutMs: 10_000 });
    expect(down.reason).toBe('CCIUnreachable');
    expect(down.message).toMatch(/CCI is unreachable/);
    cci = await startMockCci({ subnet, args: [`--port=${port}`], token });
    await waitFor('Ready=True again', async () => ((await ready()).status === 'True' ? true : undefined), { timeoutMs: 10_000 });
  });
});

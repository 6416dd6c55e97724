// Restarting `burstlet node` under 200 running pods recreates and duplicates nothing and
// status keeps flowing; with 20% injected CCI errors every pod still converges, once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, loadKubeConfig } from '../src/kube/client.ts';
import type { Pod } from '../src/kube/wire.ts';
import { counterSum, eventually, randomSubnet, startBurstNode, startMockCci, type BurstNode, type MockCci } from './support/burst-node.ts';
import { startLocalCluster, type LocalCluster } from './support/local-cluster.ts';

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
  return eventually(async () => {
    const pods = await podsOf(node);
    return pods.length === n && pods.every((p) => p.status?.phase === 'Running') ? pods : undefined;
  }, timeoutMs, `${n} pods Running on ${node}`, 500);
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
    await eventually(async () => ((await cciByPodUID(cci)).has(lost!.metadata!.uid!) ? undefined : true), 10_000, 'lost CCI pod gone');

    node = await startBurstNode({ kubeconfig: cluster.kubeconfig, cci, name: NODE, args: ['--cluster-dns=198.19.0.10'] });
    // A new pod runs: the restarted node is syncing.
    await createPods(NODE, 'after', 1);
    await eventually(async () => ((await podsOf(NODE)).find((p) => p.metadata!.name === 'after-0')?.status?.phase === 'Running' ? true : undefined), 30_000, 'new pod Running');

    // The orphan's CCI pod is deleted; the pod that lost its CCI pod is Failed, not recreated.
    await eventually(async () => ((await cciByPodUID(cci)).has(orphaned!.metadata!.uid!) ? undefined : true), 20_000, 'orphan CCI pod deleted');
    const failed = await eventually(async () => {
      const p = (await podsOf(NODE)).find((x) => x.metadata!.uid === lost!.metadata!.uid);
      return p?.status?.phase === 'Failed' ? p : undefined;
    }, 20_000, 'lost pod Failed');
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
    await eventually(async () => ((await podsOf(NODE)).some((p) => p.metadata!.uid === victim!.metadata!.uid) ? undefined : true), 20_000, 'victim deleted');
    await eventually(async () => ((await cciByPodUID(cci)).has(victim!.metadata!.uid!) ? undefined : true), 20_000, 'victim CCI pod gone');
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
    const byUID = await eventually(async () => {
      const m = await cciByPodUID(cci);
      return m.size === 40 ? m : undefined;
    }, 30_000, 'one CCI pod per pod');
    for (const p of pods) expect(byUID.get(p.metadata!.uid!)).toHaveLength(1);
    // The faults really hit burstlet's CCI calls (and were retried).
    expect(counterSum(await node.metrics(), 'burstlet_cci_errors_total')).toBeGreaterThan(0);

    await Promise.all(pods.slice(0, 20).map((p) => kube.request('DELETE', `/api/v1/namespaces/default/pods/${p.metadata!.name}`)));
    await eventually(async () => ((await podsOf(NODE)).length === 20 ? true : undefined), 60_000, '20 pods left');
    await eventually(async () => ((await cciByPodUID(cci)).size === 20 ? true : undefined), 60_000, '20 CCI pods left');
  });
});

describe('slow CCI (1.5 s per request)', () => {
  const NODE = 'burst-slow';
  let cci: MockCci;
  let node: BurstNode;

  beforeAll(async () => {
    cci = await startMockCci({ subnet: randomSubnet(), args: ['--fault-latency=1500ms'] });
    node = await startBurstNode({ kubeconfig: cluster.kubeconfig, cci, name: NODE, args: ['--cluster-dns=198.19.0.10'] });
  });
  afterAll(async () => {
    await node?.stop();
    await cci?.stop();
  });

  it('a pod deleted while its CCI create is in flight leaves nothing behind', async () => {
    await createPods(NODE, 'inflight', 1);
    const [pod] = await podsOf(NODE);
    await new Promise((r) => setTimeout(r, 300));
    await kube.request('DELETE', `/api/v1/namespaces/default/pods/${pod!.metadata!.name}`, { body: { gracePeriodSeconds: 0 } });
    // The create lands after the pod is gone; burstlet must remove what it created.
    await new Promise((r) => setTimeout(r, 2000));
    await eventually(async () => ((await cci.pods()).length === 0 ? true : undefined), 20_000, 'no CCI pod left');
    await new Promise((r) => setTimeout(r, 3000));
    expect(await cci.pods()).toEqual([]);
  });
});

describe('CCI unreachable', () => {
  const NODE = 'burst-unreachable';
  const port = 20_000 + Math.floor(Math.random() * 30_000);
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
    const down = await eventually(async () => {
      const r = await ready();
      return r.status === 'False' ? r : undefined;
    }, 10_000, 'Ready=False');
    expect(down.reason).toBe('CCIUnreachable');
    expect(down.message).toMatch(/CCI is unreachable/);
    cci = await startMockCci({ subnet, args: [`--port=${port}`], token });
    await eventually(async () => ((await ready()).status === 'True' ? true : undefined), 10_000, 'Ready=True again');
  });
});

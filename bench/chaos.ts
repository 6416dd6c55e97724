// Issue #12's convergence check at scale: 2,000 pods (BENCH_PODS) bound to a virtual node whose
// mock CCI answers 30% of requests with injected 429/503s (or a 500 after doing the work) and
// drops every watch after 5 s, while burstlet node is restarted twice mid-burst; then 30% of the
// pods are deleted. It counts what must be zero — CCI pods duplicated for one pod, CCI pods left
// without their pod (orphans), pods without their CCI pod or not Running (lost) — and the time to
// converge, beside the same run against a mock CCI without faults and without restarts (the
// comparison, measured in the same run). Pods run `sleep` in the mock's process runtime.
import { CciClient } from '../src/cci/client.ts';
import { KubeClient, loadKubeConfig } from '../src/kube/client.ts';
import type { Pod } from '../src/kube/wire.ts';
import { counterSum, startBurstNode, startMockCci, type BurstNode, type MockCci } from '../e2e/support/burst-node.ts';
import { startLocalCluster } from '../e2e/support/local-cluster.ts';
import { allIn } from './support/measure.ts';

const N = Number(process.env.BENCH_PODS ?? 2000);
const DELETE_SHARE = 0.3;
const TIMEOUT_MS = 20 * 60_000;

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + TIMEOUT_MS;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`did not converge: ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

interface Outcome {
  runningMs: number;
  deletedMs: number;
  duplicates: number;
  orphans: number;
  lost: number;
  failed: number;
  cciErrors: number;
}

const cluster = await startLocalCluster();
const kube = await KubeClient.create(loadKubeConfig(cluster.kubeconfig));

async function scenario(name: string, faults: string[], restarts: number): Promise<Outcome> {
  // A /20: 4,093 pod IPs (a /22 held 1,021 and the 1,022nd pod waited for an IP, as it should).
  const subnet = `198.18.${16 * (2 + Math.floor(Math.random() * 14))}.0/20`;
  const cci: MockCci = await startMockCci({ subnet, args: ['--quota-pods=100000', ...faults] });
  const clean = new CciClient({ endpoint: cci.url, token: cci.token, namespace: cci.namespace, timeoutMs: 60_000 });
  const start = (): Promise<BurstNode> => startBurstNode({ kubeconfig: cluster.kubeconfig, cci, name, args: ['--cluster-dns=198.19.0.10', '--status-resync=10s', '--pod-sync-workers=20'] });
  let node = await start();
  let cciErrors = 0;
  try {
    const pods = async (): Promise<Pod[]> => (await kube.request<{ items: Pod[] }>('GET', '/api/v1/pods', { query: { fieldSelector: `spec.nodeName=${name}` } })).items;
    // The faults must not stop the counting: the mock's own API without faults is not there, so
    // its list is read until one answer comes through.
    const cciPods = async (): Promise<Map<string, number>> => {
      for (;;) {
        try {
          const byUid = new Map<string, number>();
          for (const p of (await clean.listPods()).items) {
            const uid = p.metadata.annotations?.['burstlet.io/pod-uid'];
            if (uid && !p.metadata.deletionTimestamp) byUid.set(uid, (byUid.get(uid) ?? 0) + 1);
          }
          return byUid;
        } catch {
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    };
    const started = performance.now();
    const names = Array.from({ length: N }, (_, i) => `${name}-${i}`);
    const restartAt = new Set(Array.from({ length: restarts }, (_, i) => Math.floor(((i + 1) * N) / (restarts + 1))));
    let created = 0;
    let restarting = Promise.resolve();
    await allIn(names, 20, async (podName) => {
      await kube.request('POST', '/api/v1/namespaces/default/pods', {
        body: {
          apiVersion: 'v1', kind: 'Pod', metadata: { name: podName },
          spec: {
            nodeName: name, terminationGracePeriodSeconds: 1,
            tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
            containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }],
          },
        },
      });
      // Restarts run one after another: a second one starting while the first is under way
      // stopped the old node twice and left two nodes of one name running.
      if (restartAt.has(++created)) {
        restarting = restarting.then(async () => {
          cciErrors += counterSum(await node.metrics(), 'burstlet_cci_errors_total');
          await node.stop();
          node = await start();
        });
        await restarting;
      }
    });
    await restarting;
    await until(`${N} pods Running`, async () => (await pods()).filter((p) => p.status?.phase === 'Running').length === N);
    const runningMs = performance.now() - started;

    const doomed = names.filter((_, i) => i % Math.round(1 / DELETE_SHARE) === 0);
    const deleting = performance.now();
    await allIn(doomed, 20, async (podName) => {
      await kube.request('DELETE', `/api/v1/namespaces/default/pods/${podName}`);
    });
    const left = N - doomed.length;
    await until('deletions done on both sides', async () => (await pods()).length === left && [...(await cciPods()).values()].reduce((a, b) => a + b, 0) === left);
    const deletedMs = performance.now() - deleting;

    const final = await pods();
    const byUid = await cciPods();
    const uids = new Set(final.map((p) => p.metadata!.uid!));
    cciErrors += counterSum(await node.metrics(), 'burstlet_cci_errors_total');
    const outcome: Outcome = {
      runningMs,
      deletedMs,
      duplicates: [...byUid.values()].reduce((sum, n) => sum + n - 1, 0),
      orphans: [...byUid.keys()].filter((uid) => !uids.has(uid)).length,
      lost: final.filter((p) => byUid.get(p.metadata!.uid!) !== 1 || p.status?.phase !== 'Running').length,
      failed: final.filter((p) => p.status?.phase === 'Failed').length,
      cciErrors,
    };
    await allIn(final.map((p) => p.metadata!.name!), 20, async (podName) => {
      await kube.request('DELETE', `/api/v1/namespaces/default/pods/${podName}`, { body: { gracePeriodSeconds: 0 } });
    });
    await until('cleanup', async () => (await pods()).length === 0);
    return outcome;
  } finally {
    await node.stop();
    await clean.close();
    await cci.stop();
  }
}

try {
  const calm = await scenario('burst-calm', [], 0);
  const chaos = await scenario('burst-chaos', ['--fault-error-rate=0.3', '--fault-drop-watch-after=5s', '--fault-seed=12'], 2);
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  console.log(`${N} pods, then ${Math.round(DELETE_SHARE * 100)}% deleted; chaos = 30% injected CCI errors, every watch dropped after 5 s, burstlet node restarted twice mid-burst`);
  console.log('                          no faults (comparison)   chaos');
  console.log(`all Running after        ${s(calm.runningMs).padStart(12)}   ${s(chaos.runningMs).padStart(12)}`);
  console.log(`deletions converged in   ${s(calm.deletedMs).padStart(12)}   ${s(chaos.deletedMs).padStart(12)}`);
  console.log(`CCI errors seen by node  ${String(calm.cciErrors).padStart(12)}   ${String(chaos.cciErrors).padStart(12)}`);
  for (const k of ['duplicates', 'orphans', 'lost', 'failed'] as const) {
    console.log(`${k.padEnd(24)} ${String(calm[k]).padStart(12)}   ${String(chaos[k]).padStart(12)}`);
  }
  if ([calm, chaos].some((o) => o.duplicates + o.orphans + o.lost + o.failed > 0)) process.exitCode = 1;
} finally {
  await kube.close();
  await cluster.stop();
}

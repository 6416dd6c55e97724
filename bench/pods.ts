// 1,000 pods bound to the virtual node at once → all Running in the API. Prints total time,
// p50/p99 bound→Running, Kubernetes API requests per pod (counted by burstlet node itself,
// in its metrics), and burstlet node's peak RSS. The comparison point, measured in the same
// run: the same pods created straight on the mock CCI (no Kubernetes, no burstlet) — the
// backend's own floor. Pods run `sleep` in the mock's process runtime. BENCH_PODS=n overrides.
// burstlet node runs as shipped — from the build (`npm run bench` builds first), with the Node
// options the Deployment sets (manifests/) — so that its memory is the memory it has when
// deployed; BENCH_NODE_FLAGS adds to them. BENCH_PLANE=kubernetes runs it on the real control
// plane (kube-apiserver, etcd) instead of the embedded one, and counts the pod watches it closed.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Agent, request } from 'undici';
import { CciClient } from '../src/cci/client.ts';
import type { CciPod } from '../src/cci/types.ts';
import { KubeClient, loadKubeConfig } from '../src/kube/client.ts';
import { informer } from '../src/kube/list-watch-cache.ts';
import type { Pod } from '../src/kube/wire.ts';
import { serviceAccountKubeconfigPath } from '../src/local/kubernetes/operator-identity.ts';
import { createLogger } from '../src/log/logger.ts';
import { BUILT_MAIN } from '../src/program/entry.ts';
import { counterSum, startBurstNode, startMockCci } from '../e2e/support/burst-node.ts';
import { kubectlPath } from '../e2e/support/kubectl.ts';
import { startLocalCluster } from '../e2e/support/local-cluster.ts';
import { allIn, controlPlaneCpu, cpuSeconds, peakRss, quantile, shippedNodeFlags, writesSettled } from './support/measure.ts';

const N = Number(process.env.BENCH_PODS ?? 1000);
const NODE = 'burst-bench';
const log = createLogger('warn', 'bench');
// A /22 (1,021 pod IPs) up to 1,000 pods; a /18 (16,381) for the 10,000-pod run.
const subnet = N <= 1000 ? `198.18.${4 * (10 + Math.floor(Math.random() * 50))}.0/22` : `198.18.${64 * (1 + Math.floor(Math.random() * 3))}.0/18`;
/** After all pods run: how long burstlet node is watched idle (with a status resync in it, BENCH_NODE_ARGS=--status-resync=20s). */
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 0);

const nodeFlags = shippedNodeFlags();

function fmt(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

const REAL = process.env.BENCH_PLANE === 'kubernetes';
if (REAL) process.env.KUBECTL ??= kubectlPath('1.33');
/** kube-apiserver's count of pod watches it closed because it could not feed them (real plane only). */
async function closedPodWatches(): Promise<number | undefined> {
  if (!REAL) return undefined;
  const kc = loadKubeConfig(cluster.kubeconfig);
  const dispatcher = new Agent({ connect: { ca: kc.ca, cert: kc.cert, key: kc.key } });
  try {
    const res = await request(`${kc.server}/metrics`, { dispatcher });
    return counterSum(await res.body.text(), 'apiserver_terminated_watchers_total', { resource: 'pods' });
  } finally {
    await dispatcher.close();
  }
}

const cluster = await startLocalCluster(REAL ? { args: ['--control-plane=kubernetes'], readyTimeoutMs: 240_000 } : {});
const cci = await startMockCci({ subnet, args: ['--quota-pods=100000', '--quota-cpu=100000', '--quota-memory=1Pi'] });
const children: { stop(graceMs?: number): Promise<void> }[] = [cci, cluster];
try {
  const token = readFileSync(cci.tokenFile, 'utf8').trim();
  const direct = new CciClient({ endpoint: cci.url, token, namespace: 'default', timeoutMs: 60_000 });
  const indices = Array.from({ length: N }, (_, i) => i);

  // ---- Comparison point: the same pods straight on the mock CCI. ----
  const cciPod = (i: number): CciPod => ({
    apiVersion: 'cci/v2', kind: 'Pod',
    metadata: { name: `direct-${i}` },
    spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }], restartPolicy: 'Always', hostname: `direct-${i}`, dnsConfig: { nameservers: ['198.19.0.10'], searches: [], options: [] } },
  });
  const directStart = performance.now();
  const directRunning = new Map<string, number>();
  const abort = new AbortController();
  const list = await direct.listPods();
  const watching = direct.watchPods(list.metadata.resourceVersion, (e) => {
    const p = e.object as CciPod;
    if (p.kind === 'Pod' && p.status?.phase === 'Running' && !directRunning.has(p.metadata.name)) directRunning.set(p.metadata.name, performance.now());
  }, abort.signal);
  await allIn(indices, 50, async (i) => void (await direct.createPod(cciPod(i))));
  while (directRunning.size < N) await new Promise((r) => setTimeout(r, 50));
  const directTotal = Math.max(...directRunning.values()) - directStart;
  abort.abort();
  await watching;
  await allIn(indices, 50, async (i) => void (await direct.deletePod(`direct-${i}`, 0)));
  while ((await direct.listPods()).items.length > 0) await new Promise((r) => setTimeout(r, 200));

  // ---- burstlet: pods bound in the API, run by burstlet node on the same mock. ----
  // On the real plane as deployed: under the manifests' ServiceAccount (a token), not the admin certificate.
  const node = await startBurstNode({ kubeconfig: REAL ? serviceAccountKubeconfigPath(cluster.stateDir) : cluster.kubeconfig, cci, name: NODE, args: ['--cluster-dns=198.19.0.10', '--log-level=error', ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)], nodeFlags, entry: BUILT_MAIN });
  children.unshift(node);
  const kube = await KubeClient.create(loadKubeConfig(cluster.kubeconfig));
  const bound = new Map<string, number>();
  const running = new Map<string, number>();
  const watch = informer<Pod>(kube, '/api/v1/pods', {
    query: { fieldSelector: `spec.nodeName=${NODE}` },
    onChange: (key, pod) => {
      if (pod?.status?.phase === 'Running' && !running.has(key)) running.set(key, performance.now());
    },
    log,
  });
  await watch.start();
  // When each pod's CCI pod turned Running: the difference to the API is burstlet's own lag.
  const cciRunning = new Map<string, number>();
  const cciAbort = new AbortController();
  const cciList = await direct.listPods();
  const cciWatching = direct.watchPods(cciList.metadata.resourceVersion, (e) => {
    const p = e.object as CciPod;
    const key = p.kind === 'Pod' ? p.metadata.annotations?.['burstlet.io/pod'] : undefined;
    if (key && p.status?.phase === 'Running' && !cciRunning.has(key)) cciRunning.set(key, performance.now());
  }, cciAbort.signal);
  const before = await node.metrics();
  const closedBefore = await closedPodWatches();
  const cpuBefore = { node: cpuSeconds(node.pid), cci: cpuSeconds(cci.pid), bench: process.cpuUsage(), plane: controlPlaneCpu(cluster.stateDir) };
  const start = performance.now();
  await allIn(indices, 50, async (i) => {
    const name = `bench-${i}`;
    await kube.request('POST', '/api/v1/namespaces/default/pods', {
      body: {
        apiVersion: 'v1', kind: 'Pod',
        metadata: { name },
        spec: {
          nodeName: NODE,
          tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
          containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }],
        },
      },
    });
    bound.set(`default/${name}`, performance.now());
  });
  const deadline = start + Math.max(120_000, N * 60);
  while (running.size < N && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const total = Math.max(...running.values()) - start;
  const bench = process.cpuUsage(cpuBefore.bench);
  const plane = [...controlPlaneCpu(cluster.stateDir)].map(([c, s]) => [c, s - (cpuBefore.plane.get(c) ?? 0)] as const).sort((a, b) => b[1] - a[1]);
  const cpu = { node: cpuSeconds(node.pid) - cpuBefore.node, cci: cpuSeconds(cci.pid) - cpuBefore.cci, bench: (bench.user + bench.system) / 1e6, plane };
  // Status writes and the events trailing the burst (--event-qps) land before counting.
  await writesSettled(async () => counterSum(await node.metrics(), 'burstlet_kube_api_requests_total', { verb: /^(POST|PATCH|PUT|DELETE)$/, resource: /^(pods|events)/ }));
  const after = await node.metrics();
  const delta = (labels: Record<string, string | RegExp>): number =>
    counterSum(after, 'burstlet_kube_api_requests_total', labels) - counterSum(before, 'burstlet_kube_api_requests_total', labels);
  const podWrites = delta({ resource: /^pods/, verb: /^(POST|PATCH|PUT|DELETE)$/ });
  const eventWrites = delta({ resource: 'events', verb: /^(POST|PATCH)$/ });
  const otherWrites = delta({ resource: /^(nodes|leases)/, verb: /^(POST|PATCH|PUT)$/ });
  const reads = delta({ verb: /^(GET|WATCH)$/ });
  cciAbort.abort();
  await cciWatching;
  const lags = [...running].filter(([k]) => cciRunning.has(k)).map(([k, t]) => t - cciRunning.get(k)!).sort((a, b) => a - b);
  const cciLatencies = [...cciRunning].map(([k, t]) => t - (bound.get(k) ?? start)).sort((a, b) => a - b);
  const latencies = [...running].map(([k, t]) => t - (bound.get(k) ?? start)).sort((a, b) => a - b);
  const rss = peakRss(node.pid);
  let idle = '';
  if (IDLE_MS > 0) {
    const writes = (m: string): number => counterSum(m, 'burstlet_kube_api_requests_total', { verb: /^(POST|PATCH|PUT|DELETE)$/, resource: /^(pods|events)/ });
    // The burst's event backlog drained above.
    const [m0, c0] = [await node.metrics(), cpuSeconds(node.pid)];
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const [m1, c1] = [await node.metrics(), cpuSeconds(node.pid)];
    idle = `idle ${IDLE_MS / 1000} s with ${N} pods Running, once the event backlog drained: burstlet node CPU ${((100 * (c1 - c0)) / (IDLE_MS / 1000)).toFixed(1)}% of a core, pod/event API writes ${writes(m1) - writes(m0)}, RSS now ${(counterSum(m1, 'burstlet_process_memory_bytes', { kind: 'rss' }) / 2 ** 20).toFixed(0)} MB`;
  }
  watch.stop();
  await kube.close();

  console.log(`pods: ${N} (mock CCI, process runtime, sleep; ${REAL ? 'real kube-apiserver' : 'embedded control plane'}); Running in the API: ${running.size}/${N}`);
  console.log(`total time, all bound → all Running:   ${fmt(total)}   (target ≤ 20 s)`);
  console.log(`bound → Running  p50 ${fmt(quantile(latencies, 0.5))}  p99 ${fmt(quantile(latencies, 0.99))}  max ${fmt(latencies.at(-1) ?? NaN)}   (target p99 < 5 s)`);
  console.log(`of which: bound → CCI pod Running  p50 ${fmt(quantile(cciLatencies, 0.5))}  p99 ${fmt(quantile(cciLatencies, 0.99))}; CCI Running → API Running (burstlet's status lag)  p50 ${fmt(quantile(lags, 0.5))}  p99 ${fmt(quantile(lags, 0.99))}`);
  console.log(`comparison, same pods straight on the mock CCI (no Kubernetes, no burstlet): all Running in ${fmt(directTotal)}`);
  console.log(`Kubernetes API writes per pod: ${((podWrites + eventWrites) / N).toFixed(2)} = pod status ${(podWrites / N).toFixed(2)} + events ${(eventWrites / N).toFixed(2)}   (target ≤ 4; node status + lease writes in the window: ${otherWrites})`);
  console.log(`Kubernetes API reads per pod: ${(reads / N).toFixed(3)} (list/watch)`);
  const closed = await closedPodWatches();
  if (closed !== undefined && closedBefore !== undefined) console.log(`pod watches kube-apiserver closed as unresponsive during the burst (apiserver_terminated_watchers_total; burstlet's, this bench's, the controllers'): ${closed - closedBefore}`);
  console.log(`CPU used until all Running: burstlet node ${cpu.node.toFixed(1)} s, mock CCI ${cpu.cci.toFixed(1)} s, this client ${cpu.bench.toFixed(1)} s${cpu.plane.map(([c, s]) => `, ${c} ${s.toFixed(1)} s`).join('')} (${os.availableParallelism()} cores: ${(cpu.node + cpu.cci + cpu.bench + cpu.plane.reduce((a, [, s]) => a + s, 0)).toFixed(1)} s of ${((os.availableParallelism() * total) / 1000).toFixed(1)} s)`);
  const syncQ = (q: string): string => (counterSum(after, 'burstlet_pod_sync_duration_seconds', { result: 'ok', quantile: q }) * 1000).toFixed(0);
  console.log(`one pod sync (a create, or deciding a status), last 1,000: p50 ${syncQ('0.5')} ms, p99 ${syncQ('0.99')} ms; syncs ${counterSum(after, 'burstlet_pod_sync_duration_seconds_count') - counterSum(before, 'burstlet_pod_sync_duration_seconds_count')}`);
  const ms = (metric: string, q: string): string => (counterSum(after, metric, { quantile: q }) * 1000).toFixed(0);
  console.log(`status writes, last 1,000: waited for a status worker p50 ${ms('burstlet_pod_status_wait_seconds', '0.5')} ms, p99 ${ms('burstlet_pod_status_wait_seconds', '0.99')} ms; the PATCH p50 ${ms('burstlet_pod_status_write_duration_seconds', '0.5')} ms, p99 ${ms('burstlet_pod_status_write_duration_seconds', '0.99')} ms`);
  const createQ = (q: string): string => (counterSum(after, 'burstlet_cci_create_duration_seconds', { quantile: q }) * 1000).toFixed(0);
  console.log(`one CCI create request from burstlet: p50 ${createQ('0.5')} ms, p99 ${createQ('0.99')} ms`);
  const mem = (kind: string): string => (counterSum(after, 'burstlet_process_memory_bytes', { kind }) / 2 ** 20).toFixed(0);
  console.log(`burstlet node memory at the end: rss ${mem('rss')} MB, V8 heap ${mem('heapUsed')}/${mem('heapTotal')} MB used/total, external ${mem('external')} MB`);
  console.log(`burstlet node peak RSS (VmHWM): ${rss.toFixed(0)} MB   (target < 200 MB; Node flags: ${nodeFlags.join(' ') || 'none'})`);
  if (idle) console.log(idle);
} finally {
  for (const c of children) await c.stop(30_000);
}

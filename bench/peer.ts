// burstlet beside the peer a user would otherwise pick: virtual-kubelet v1.14.1's node library
// (bench/peer/, a Go module built here) with a provider that runs every pod at once in memory,
// against burstlet node on the mock CCI's `none` runtime (Running at once, nothing started) —
// the two pod-lifecycle engines on the same work, on the same kube-apiserver (the real control
// plane), in one run. For 1,000 and then 5,000 pods bound at once (BENCH_PEER_PODS=1000,5000):
// time to all Running, p50/p99 bound → Running, API writes per pod, CPU seconds and peak RSS of
// each node process, and the ratios. Both get 10 pod workers and no client-side rate limit.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { KubeClient, loadKubeConfig } from '../src/kube/client.ts';
import { informer } from '../src/kube/list-watch-cache.ts';
import type { Pod } from '../src/kube/wire.ts';
import { serviceAccountKubeconfigPath, writeServiceAccountKubeconfig } from '../src/local/kubernetes/operator-identity.ts';
import { createLogger } from '../src/log/logger.ts';
import { BUILT_MAIN } from '../src/program/entry.ts';
import { counterSum, startBurstNode, startMockCci } from '../e2e/support/burst-node.ts';
import { kubectlPath } from '../e2e/support/kubectl.ts';
import { startLocalCluster } from '../e2e/support/local-cluster.ts';
import { allIn, cpuSeconds, peakRss, quantile, shippedNodeFlags, writesSettled } from './support/measure.ts';

const SIZES = (process.env.BENCH_PEER_PODS ?? '1000,5000').split(',').map(Number);
const log = createLogger('warn', 'bench');
const PEER_DIR = join(import.meta.dirname, 'peer');

/** Builds vk-peer once per source version, outside the tree (Go's own caches do the rest). */
function buildPeer(): string {
  const hash = createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'main.go']) hash.update(readFileSync(join(PEER_DIR, f)));
  const binary = join(process.env.BURSTLET_KUBE_CACHE ?? join(homedir(), '.cache', 'burstlet'), 'vk-peer', hash.digest('hex').slice(0, 16), 'vk-peer');
  if (!existsSync(binary)) {
    mkdirSync(dirname(binary), { recursive: true });
    console.log('building bench/peer (virtual-kubelet v1.14.1) …');
    execFileSync('go', ['build', '-o', binary, '.'], { cwd: PEER_DIR, stdio: 'inherit', env: { ...process.env, PATH: `${process.env.PATH}:/usr/local/go/bin` } });
  }
  return binary;
}

interface Outcome {
  totalMs: number;
  p50: number;
  p99: number;
  /** API writes in the burst window, by kind. */
  writes: { pods: number; events: number; other: number };
  cpu: number;
  rssMiB: number;
}

process.env.KUBECTL ??= kubectlPath('1.33');
const cluster = await startLocalCluster({ args: ['--control-plane=kubernetes'], readyTimeoutMs: 240_000 });
const kube = await KubeClient.create(loadKubeConfig(cluster.kubeconfig));
const cci = await startMockCci({ subnet: '198.18.64.0/18', args: ['--runtime=none', '--quota-pods=100000', '--quota-cpu=100000', '--quota-memory=1Pi'] });
const peer = buildPeer();
// Both engines as deployed: under a ServiceAccount token, which kube-apiserver authenticates
// once per 10 s (its token cache), not under the admin certificate it verifies on every request.
// burstlet under the manifests' ServiceAccount; vk-peer under one of its own, bound to
// cluster-admin (virtual-kubelet's own RBAC is not what is compared).
const burstletKubeconfig = serviceAccountKubeconfigPath(cluster.stateDir);
const peerKubeconfig = await peerIdentity();

async function peerIdentity(): Promise<string> {
  const account = { namespace: 'kube-system', name: 'vk-peer' };
  await kube.request('POST', `/api/v1/namespaces/${account.namespace}/serviceaccounts`, { body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: account.name } } });
  await kube.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    body: {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'vk-peer' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', ...account }],
    },
  });
  const kc = loadKubeConfig(cluster.kubeconfig);
  return writeServiceAccountKubeconfig(cluster.kubeconfig, kc.server, kc.ca?.toString('utf8') ?? '', join(cluster.stateDir, 'vk-peer.kubeconfig'), account);
}

/** `n` pods bound to `node` at once in a namespace of their own; resolves when all are Running. */
async function burst(node: string, namespace: string, n: number): Promise<{ totalMs: number; latencies: number[] }> {
  await kube.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } });
  const bound = new Map<string, number>();
  const running = new Map<string, number>();
  const watch = informer<Pod>(kube, `/api/v1/namespaces/${namespace}/pods`, {
    onChange: (key, pod) => {
      if (pod?.status?.phase === 'Running' && !running.has(key)) running.set(key, performance.now());
    },
    log,
  });
  await watch.start();
  const start = performance.now();
  await allIn(Array.from({ length: n }, (_, i) => i), 50, async (i) => {
    const name = `p-${i}`;
    await kube.request('POST', `/api/v1/namespaces/${namespace}/pods`, {
      body: {
        apiVersion: 'v1', kind: 'Pod', metadata: { name },
        spec: { nodeName: node, tolerations: [{ operator: 'Exists' }], containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }] },
      },
    });
    bound.set(`${namespace}/${name}`, performance.now());
  });
  const deadline = start + Math.max(180_000, n * 100);
  while (running.size < n && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  watch.stop();
  if (running.size < n) throw new Error(`${node}: only ${running.size} of ${n} pods Running`);
  const latencies = [...running].map(([k, t]) => t - bound.get(k)!).sort((a, b) => a - b);
  return { totalMs: Math.max(...running.values()) - start, latencies };
}

/** Removes a run's pods at once (grace 0) and their namespace, before the next run (5,000 take a while). */
async function clear(namespace: string): Promise<void> {
  try {
    await kube.request('DELETE', `/api/v1/namespaces/${namespace}/pods`, { query: { gracePeriodSeconds: '0' }, timeoutMs: 600_000 });
    await kube.request('DELETE', `/api/v1/namespaces/${namespace}`);
  } catch (err) {
    console.log(`  (${namespace} not cleared: ${err instanceof Error ? err.message : String(err)})`);
  }
}

/** vk-peer's writes so far, by resource (it prints them on SIGUSR1). */
async function peerWrites(child: ChildProcess, out: { text: string }): Promise<Record<string, number>> {
  const seen = out.text.length;
  child.kill('SIGUSR1');
  for (let i = 0; i < 100; i++) {
    const m = /writes (\{.*\})\n/.exec(out.text.slice(seen));
    if (m) return JSON.parse(m[1]!) as Record<string, number>;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('vk-peer did not print its writes');
}

function split(counts: Record<string, number>): Outcome['writes'] {
  const sum = (re: RegExp): number => Object.entries(counts).filter(([k]) => re.test(k)).reduce((a, [, v]) => a + v, 0);
  return { pods: sum(/^pods/), events: sum(/^events/), other: sum(/^(nodes|leases|other)/) };
}
const minus = (a: Outcome['writes'], b: Outcome['writes']): Outcome['writes'] => ({ pods: a.pods - b.pods, events: a.events - b.events, other: a.other - b.other });

async function runPeer(n: number): Promise<Outcome> {
  const name = `vk-peer-${n}`;
  const child = spawn(peer, [`--kubeconfig=${peerKubeconfig}`, `--nodename=${name}`, '--workers=10'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { text: '' };
  child.stdout!.on('data', (d: Buffer) => (out.text += d.toString()));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  try {
    for (let i = 0; !out.text.includes('running'); i++) {
      if (i > 600 || child.exitCode !== null) throw new Error(`vk-peer did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const before = split(await peerWrites(child, out));
    const cpu0 = cpuSeconds(child.pid!);
    const r = await burst(name, `vk-${n}`, n);
    const cpu = cpuSeconds(child.pid!) - cpu0;
    const total = async (): Promise<number> => Object.values(split(await peerWrites(child, out))).reduce((a, b) => a + b, 0);
    await writesSettled(total);
    const writes = minus(split(await peerWrites(child, out)), before);
    const rssMiB = peakRss(child.pid!);
    await clear(`vk-${n}`);
    return { totalMs: r.totalMs, p50: quantile(r.latencies, 0.5), p99: quantile(r.latencies, 0.99), writes, cpu, rssMiB };
  } finally {
    child.kill('SIGTERM');
  }
}

async function runBurstlet(n: number): Promise<Outcome> {
  const name = `burstlet-peer-${n}`;
  const node = await startBurstNode({ kubeconfig: burstletKubeconfig, cci, name, args: ['--cluster-dns=198.19.0.10', '--log-level=error', '--zone-config-map='], nodeFlags: shippedNodeFlags(), entry: BUILT_MAIN });
  try {
    const writesOf = (m: string): Outcome['writes'] => {
      const w = (resource: RegExp): number => counterSum(m, 'burstlet_kube_api_requests_total', { resource, verb: /^(POST|PATCH|PUT|DELETE)$/ });
      return { pods: w(/^pods/), events: w(/^events/), other: w(/^(nodes|leases)/) };
    };
    const before = writesOf(await node.metrics());
    const cpu0 = cpuSeconds(node.pid);
    const r = await burst(name, `bl-${n}`, n);
    const cpu = cpuSeconds(node.pid) - cpu0;
    const total = async (): Promise<number> => Object.values(writesOf(await node.metrics())).reduce((a, b) => a + b, 0);
    await writesSettled(total);
    const writes = minus(writesOf(await node.metrics()), before);
    const rssMiB = peakRss(node.pid);
    await clear(`bl-${n}`);
    return { totalMs: r.totalMs, p50: quantile(r.latencies, 0.5), p99: quantile(r.latencies, 0.99), writes, cpu, rssMiB };
  } finally {
    await node.stop();
  }
}

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
function line(who: string, n: number, o: Outcome): string {
  const perPod = (o.writes.pods + o.writes.events) / n;
  return `  ${who.padEnd(16)} all Running ${s(o.totalMs).padStart(8)}  (${(n / (o.totalMs / 1000)).toFixed(0)} pods/s)  p50 ${s(o.p50)}  p99 ${s(o.p99)}  ` +
    `writes/pod ${perPod.toFixed(2)} (pods ${(o.writes.pods / n).toFixed(2)}, events ${(o.writes.events / n).toFixed(2)})  CPU ${o.cpu.toFixed(1)} s  peak RSS ${o.rssMiB.toFixed(0)} MiB`;
}

try {
  for (const n of SIZES) {
    console.log(`${n} pods bound at once, real kube-apiserver, no backend work:`);
    const vk = await runPeer(n);
    console.log(line('virtual-kubelet', n, vk));
    const bl = await runBurstlet(n);
    console.log(line('burstlet', n, bl));
    const wp = (o: Outcome): number => (o.writes.pods + o.writes.events) / n;
    console.log(`  burstlet / virtual-kubelet: throughput ${(vk.totalMs / bl.totalMs).toFixed(2)}x (goal ≥ 1.0), p99 ${(bl.p99 / vk.p99).toFixed(2)}x (goal ≤ 1.0), ` +
      `writes/pod ${(wp(bl) / wp(vk)).toFixed(2)}x (goal ≤ 1.0), CPU ${(bl.cpu / vk.cpu).toFixed(2)}x, RSS ${(bl.rssMiB / vk.rssMiB).toFixed(2)}x (goal ≤ 2.0)`);
  }
} finally {
  await kube.close();
  await cci.stop();
  await cluster.stop();
}

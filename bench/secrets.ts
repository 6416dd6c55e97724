// What other namespaces' Secrets cost burstlet node: it holds the ConfigMaps and Secrets of the
// namespaces its pods run in only, as the kubelet reads only what its pods reference. 20 burst
// pods run in `default` (each mounting a Secret there); then 20,000 Secrets of 2 KiB are created
// in 20 other namespaces. Printed: burstlet node's RSS before them (the comparison, same run,
// same process) and after, and the ratio (goal: under 1.10). BENCH_SECRETS=n overrides.
import { KubeClient, loadKubeConfig } from '../src/kube/client.ts';
import { BUILT_MAIN } from '../src/program/entry.ts';
import { startBurstNode, startMockCci } from '../e2e/support/burst-node.ts';
import { startLocalCluster } from '../e2e/support/local-cluster.ts';
import { allIn, rss } from './support/measure.ts';

const SECRETS = Number(process.env.BENCH_SECRETS ?? 20_000);
const NAMESPACES = 20;
const PODS = 20;
const NODE = 'burst-secrets';

/** RSS after a quiet moment and a full GC pass are out of our hands: the median of 10 samples over 5 s. */
async function settledRss(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, 500));
    samples.push(rss(pid));
  }
  return samples.sort((a, b) => a - b)[5]!;
}

const cluster = await startLocalCluster();
const cci = await startMockCci({ subnet: `198.18.${100 + Math.floor(Math.random() * 100)}.0/24` });
const node = await startBurstNode({ kubeconfig: cluster.kubeconfig, cci, name: NODE, args: ['--cluster-dns=198.19.0.10', '--log-level=error'], entry: BUILT_MAIN });
const kube = await KubeClient.create(loadKubeConfig(cluster.kubeconfig));
try {
  await kube.request('POST', '/api/v1/namespaces/default/secrets', { body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'app' }, stringData: { token: 'not-secret' } } });
  for (let i = 0; i < PODS; i++) {
    await kube.request('POST', '/api/v1/namespaces/default/pods', {
      body: {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: `app-${i}` },
        spec: {
          nodeName: NODE, tolerations: [{ operator: 'Exists' }],
          containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'], volumeMounts: [{ name: 's', mountPath: '/s' }] }],
          volumes: [{ name: 's', secret: { secretName: 'app' } }],
        },
      },
    });
  }
  const running = async (): Promise<number> =>
    (await kube.request<{ items: { status?: { phase?: string } }[] }>('GET', '/api/v1/namespaces/default/pods')).items.filter((p) => p.status?.phase === 'Running').length;
  const deadline = Date.now() + 120_000;
  while ((await running()) < PODS) {
    if (Date.now() > deadline) throw new Error(`only ${await running()} of ${PODS} pods Running`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const before = await settledRss(node.pid);

  const payload = 'x'.repeat(2048);
  for (let n = 0; n < NAMESPACES; n++) await kube.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `other-${n}` } } });
  const started = performance.now();
  await allIn(Array.from({ length: SECRETS }, (_, i) => i), 32, async (i) => {
    await kube.request('POST', `/api/v1/namespaces/other-${i % NAMESPACES}/secrets`, { body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: `s-${i}` }, stringData: { payload } } });
  });
  const created = (performance.now() - started) / 1000;
  const after = await settledRss(node.pid);
  console.log(`${SECRETS} Secrets of 2 KiB in ${NAMESPACES} other namespaces (created in ${created.toFixed(1)} s), ${PODS} burst pods in default:`);
  console.log(`  burstlet node RSS before ${before.toFixed(1)} MiB, after ${after.toFixed(1)} MiB: ${(after / before).toFixed(3)}x (goal < 1.10)`);
} finally {
  await kube.close();
  await node.stop();
  await cci.stop();
  await cluster.stop();
}

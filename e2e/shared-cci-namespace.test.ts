// Two virtual nodes on one CCI namespace (issue #12 item 4): each labels its CCI pods with its
// cluster and node, and its orphan sweep (at every start, then every resync) deletes only its
// own. Before, node A's start-up sweep deleted node B's running pod and B marked it Failed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, loadKubeConfig } from '../src/kube/client.ts';
import type { Pod } from '../src/kube/wire.ts';
import { randomSubnet, startBurstNode, startMockCci, type BurstNode, type MockCci } from './support/burst-node.ts';
import { startLocalCluster, type LocalCluster } from './support/local-cluster.ts';
import { pollUntil } from './support/poll.ts';

describe('two nodes sharing a CCI namespace', () => {
  let cluster: LocalCluster;
  let kube: KubeClient;
  let cci: MockCci;
  let a: BurstNode | undefined;
  let b: BurstNode;

  const startNode = (name: string): Promise<BurstNode> =>
    startBurstNode({ kubeconfig: cluster.kubeconfig, cci, name, args: ['--cluster-dns=198.19.0.10', '--status-resync=1s'] });

  beforeAll(async () => {
    cluster = await startLocalCluster();
    kube = await KubeClient.create(loadKubeConfig(cluster.kubeconfig));
    cci = await startMockCci({ subnet: randomSubnet() });
    [a, b] = await Promise.all([startNode('burst-a'), startNode('burst-b')]);
  });

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await cci?.stop();
    await kube?.close();
    await cluster?.stop();
  });

  const pod = (name: string, node: string): object => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: {
      nodeName: node,
      tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists' }],
      containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }],
    },
  });
  const phase = async (name: string): Promise<string | undefined> =>
    (await kube.request<Pod>('GET', `/api/v1/namespaces/default/pods/${name}`)).status?.phase;

  it('labels each CCI pod with its node, and a restarted node sweeps none of the other\'s', async () => {
    await kube.request('POST', '/api/v1/namespaces/default/pods', { body: pod('on-a', 'burst-a') });
    await kube.request('POST', '/api/v1/namespaces/default/pods', { body: pod('on-b', 'burst-b') });
    await pollUntil('both pods Running', () => Promise.all([phase('on-a'), phase('on-b')]), (p) => p.every((x) => x === 'Running'), { timeoutMs: 30_000 });
    const byNode = Object.fromEntries((await cci.pods()).map((p) => [p.metadata.annotations?.['burstlet.io/pod'], p.metadata.labels?.['burstlet.io/node']]));
    expect(byNode).toEqual({ 'default/on-a': 'burst-a', 'default/on-b': 'burst-b' });
    const cluster = new Set((await cci.pods()).map((p) => p.metadata.labels?.['burstlet.io/cluster']));
    expect(cluster.size).toBe(1);
    expect([...cluster][0]).toMatch(/^[0-9a-f-]{8,}$/); // the kube-system Namespace's uid

    // Node A's ready line comes after its start-up sweep: by then it would have deleted on-b.
    await a!.stop();
    a = await startNode('burst-a');
    const cciOfB = (await cci.pods()).find((p) => p.metadata.annotations?.['burstlet.io/pod'] === 'default/on-b');
    expect(cciOfB?.metadata.deletionTimestamp).toBeUndefined();
    expect(await phase('on-b')).toBe('Running');
    expect(await phase('on-a')).toBe('Running');
  });
});

// The local environment's two nodes as the scheduler and kubectl see them (`burstlet local
// --nodes`, process runtime so that it runs anywhere): the burst node is the virtual node, the
// stand-in cluster node looks like any machine of a cluster.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster } from './support/local-cluster.ts';
import { waitFor } from './support/poll.ts';

let cluster: LocalCluster;

async function getJson<T>(...args: string[]): Promise<T> {
  const r = await cluster.kubectl.run(['get', ...args, '-o', 'json']);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as T;
}

const pod = (name: string, extra: string): string => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  nodeSelector: {type: virtual-kubelet}
${extra}
  containers: [{name: c, image: busybox, command: [sleep, infinity]}]
`;

beforeAll(async () => {
  cluster = await startLocalCluster({ args: ['--nodes', '--runtime=process'], readyTimeoutMs: 90_000 });
  await waitFor('both nodes registered', async () => ((await getJson<{ items: V1Node[] }>('nodes')).items.length === 2 ? true : undefined), { timeoutMs: 30_000 });
});

afterAll(async () => {
  await cluster?.stop();
});

describe('the stand-in cluster node', () => {
  it('carries an ordinary node\'s labels and nothing of the virtual node\'s', async () => {
    const labels = (await getJson<V1Node>('node', 'cluster-node-1')).metadata!.labels!;
    expect(labels).toMatchObject({
      'kubernetes.io/hostname': 'cluster-node-1', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64',
      'node.kubernetes.io/instance-type': expect.any(String),
    });
    expect(Object.keys(labels).filter((k) => k === 'type' || k.includes('virtual-kubelet') || k === 'kubernetes.io/role')).toEqual([]);
    expect((await getJson<V1Node>('node', 'burstlet-cci')).metadata!.labels).toMatchObject({ type: 'virtual-kubelet', 'virtual-kubelet.io/provider': 'cci' });
  });

  it('a pod selecting type=virtual-kubelet without the toleration lands nowhere; with it, on the burst node', async () => {
    const applied = await cluster.kubectl.run(['apply', '-f', '-'], {
      stdin: `${pod('no-toleration', '')}---${pod('tolerates', '  tolerations: [{key: virtual-kubelet.io/provider, operator: Exists}]')}`,
    });
    expect(applied.stderr).toBe('');
    await expect.poll(async () => (await getJson<V1Pod>('pod', 'tolerates')).spec?.nodeName, { timeout: 30_000 }).toBe('burstlet-cci');
    // The scheduler has tried it: FailedScheduling, naming the taint of one node and the selector of the other.
    await expect.poll(async () => {
      const events = await getJson<{ items: { reason?: string; message?: string }[] }>('events', '--field-selector', 'involvedObject.name=no-toleration');
      return events.items.find((e) => e.reason === 'FailedScheduling')?.message ?? '';
    }, { timeout: 30_000 }).toMatch(/0\/2 nodes are available: .*untolerated taint.*|.*didn't match Pod's node affinity\/selector/);
    expect((await getJson<V1Pod>('pod', 'no-toleration')).spec?.nodeName).toBeUndefined();
  });
});

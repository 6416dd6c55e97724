// The local scheduler against the local API server, driven and observed with kubectl 1.33.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { createLogger } from '../src/log/logger.ts';
import { startScheduler } from '../src/local/scheduler/scheduler.ts';
import { startApiServerInProcess, type InProcessApiServer } from './support/api-server-in-process.ts';
import { waitFor } from './support/poll.ts';

const node = (name: string, taint = '') => `
apiVersion: v1
kind: Node
metadata:
  name: ${name}
  labels: {kubernetes.io/hostname: ${name}, pool: ${name.startsWith('burst') ? 'burst' : 'cluster'}}
spec:
  ${taint ? `taints: [{key: virtual-kubelet.io/provider, value: cci, effect: NoSchedule}]` : 'taints: []'}
`;
const nodeStatus = (cpu: string, pods: string) =>
  JSON.stringify({ status: { allocatable: { cpu, memory: '8Gi', pods }, capacity: { cpu, memory: '8Gi', pods }, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ok' }] } });

const pod = (name: string, cpu: string, extra = '') => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  containers: [{name: app, image: nginx, resources: {requests: {cpu: "${cpu}"}}}]
${extra}
`;
const TOLERATE_CCI = '  tolerations: [{key: virtual-kubelet.io/provider, operator: Exists, effect: NoSchedule}]';

let api: InProcessApiServer;
let scheduler: { stop(): Promise<void> };

async function getPod(name: string): Promise<V1Pod> {
  return JSON.parse(await api.kubectl.ok(['get', 'pod', name, '-o', 'json'])) as V1Pod;
}

async function boundTo(name: string): Promise<string> {
  return waitFor(`pod ${name} to be bound`, async () => (await getPod(name)).spec?.nodeName || undefined);
}

beforeAll(async () => {
  api = await startApiServerInProcess();
  await api.kubectl.ok(['apply', '-f', '-'], { stdin: [node('burst', 'tainted'), node('small')].join('\n---\n') });
  for (const [name, cpu, pods] of [['burst', '64', '3'], ['small', '2', '110']] as const) {
    await api.kubectl.ok(['patch', 'node', name, '--subresource=status', '--type=merge', '-p', nodeStatus(cpu, pods)]);
  }
  scheduler = await startScheduler(api.kubeconfig, createLogger('warn', 'scheduler-e2e'));
});

afterAll(async () => {
  await scheduler?.stop();
  await api?.stop();
});

describe('local scheduler', () => {
  it('binds a pod with the toleration to the tainted burst node, with a Scheduled event', async () => {
    await api.kubectl.ok(['apply', '-f', '-'], { stdin: pod('tolerant', '8', TOLERATE_CCI) });
    expect(await boundTo('tolerant')).toBe('burst');
    const events = await waitFor('Scheduled event', async () => {
      const out = await api.kubectl.ok(['get', 'events', '--field-selector', 'involvedObject.name=tolerant', '-o', 'json']);
      const items = (JSON.parse(out) as { items: Array<{ reason: string; message: string; source?: { component?: string } }> }).items;
      return items.find((e) => e.reason === 'Scheduled');
    });
    expect(events.message).toBe('Successfully assigned default/tolerant to burst');
    expect(events.source?.component).toBe('default-scheduler');
  });

  it('leaves a pod that fits nowhere Pending with PodScheduled=False and FailedScheduling', async () => {
    await api.kubectl.ok(['apply', '-f', '-'], { stdin: pod('greedy', '8') });
    const condition = await waitFor('PodScheduled=False', async () => (await getPod('greedy')).status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False'));
    const expected =
      '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {virtual-kubelet.io/provider: cci}. ' +
      'preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.';
    expect(condition.reason).toBe('Unschedulable');
    expect(condition.message).toBe(expected);
    expect((await getPod('greedy')).spec?.nodeName).toBeUndefined();
    const describe = await api.kubectl.ok(['describe', 'pod', 'greedy']);
    expect(describe).toMatch(/Warning\s+FailedScheduling\s+.*default-scheduler\s+0\/2 nodes are available/);
    expect(await api.kubectl.ok(['get', 'pod', 'greedy', '-o', 'jsonpath={.status.phase}'])).toBe('Pending');
  });

  it('retries when a node changes and folds the repeated failure into one event', async () => {
    await api.kubectl.ok(['label', 'node', 'small', 'retry=1']);
    const event = await waitFor('FailedScheduling counted twice', async () => {
      const out = await api.kubectl.ok(['get', 'events', '--field-selector', 'involvedObject.name=greedy,reason=FailedScheduling', '-o', 'json']);
      const items = (JSON.parse(out) as { items: Array<{ count?: number }> }).items;
      return items.length === 1 && items[0]!.count === 2 ? items[0] : undefined;
    });
    expect(event.count).toBe(2);
  });

  it('places a pod that fits without the toleration on the untainted node and respects cpu left', async () => {
    await api.kubectl.ok(['apply', '-f', '-'], { stdin: pod('fits', '1500m') });
    expect(await boundTo('fits')).toBe('small');
    // 500m is left on "small": a second 1 cpu pod does not fit anywhere without the toleration.
    await api.kubectl.ok(['apply', '-f', '-'], { stdin: pod('second', '1') });
    const condition = await waitFor('second unschedulable', async () => (await getPod('second')).status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False'));
    expect(condition.message).toContain('1 Insufficient cpu');
  });

  it('retries an unschedulable pod when room appears', async () => {
    await api.kubectl.ok(['delete', 'pod', 'fits', '--grace-period=0', '--force']);
    expect(await boundTo('second')).toBe('small');
  });

  it('respects the pods count of a node', async () => {
    // burst allows 3 pods and already holds "tolerant".
    const burstOnly = `${TOLERATE_CCI}\n  nodeSelector: {pool: burst}`;
    await api.kubectl.ok(['apply', '-f', '-'], { stdin: ['a', 'b', 'c'].map((n) => pod(`cci-${n}`, '100m', burstOnly)).join('\n---\n') });
    const placed = await waitFor('two more on burst, one refused', async () => {
      const pods = await Promise.all(['a', 'b', 'c'].map((n) => getPod(`cci-${n}`)));
      const unschedulable = pods.filter((p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False'));
      const bound = pods.filter((p) => p.spec?.nodeName);
      return bound.length + unschedulable.length === 3 ? { bound, unschedulable } : undefined;
    });
    expect(placed.bound.map((p) => p.spec?.nodeName)).toEqual(['burst', 'burst']);
    expect(placed.unschedulable[0]?.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message).toBe(
      "0/2 nodes are available: 1 Too many pods, 1 node(s) didn't match Pod's node affinity/selector. " +
        'preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.ts';
import { KubeError } from '../../src/kube/client.ts';
import type { Node } from '../../src/kube/wire.ts';
import { APPLIED_ANNOTATION, type AppliedPolicy } from '../../src/policy/mutation.ts';
import { PodLedger } from '../../src/policy/pod-ledger.ts';
import { nextEviction, Rebalancer, type BurstPod, type RebalanceInputs } from '../../src/policy/rebalance.ts';
import { projectWorkload, type WorkloadRecord } from '../../src/policy/workloads.ts';
import { FakeApi } from './support/fake-api.ts';
import { FakeClock } from './support/fake-clock.ts';

const deployment = (replicas: number, ready: number, kind = 'Deployment'): WorkloadRecord =>
  projectWorkload(kind, { metadata: { namespace: 'ns', name: 'web', uid: 'd1' }, spec: { replicas }, status: { readyReplicas: ready } });
const burstPod = (i: number, applied: Partial<AppliedPolicy> = {}, ready = true): BurstPod => {
  const a: AppliedPolicy = { policy: 'localPrefer', source: 'pod', workload: 'Deployment/web', workloadUid: 'd1', applied: [], ...applied };
  return {
    key: `ns/web-${i}`,
    applied: a,
    pod: {
      metadata: { namespace: 'ns', name: `web-${i}`, uid: `u${i}`, creationTimestamp: `2026-01-01T00:00:0${i}Z`, annotations: { [APPLIED_ANNOTATION]: JSON.stringify(a) } },
      // As the placement controller released it to CCI: narrowed to virtual nodes.
      spec: {
        nodeName: 'burst',
        containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '1' } } }],
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'type', operator: 'In', values: ['virtual-kubelet'] }] }] } } },
      },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
    },
  };
};
const inputs = (over: Partial<RebalanceInputs>): RebalanceInputs => ({
  burstPods: [burstPod(1), burstPod(2)],
  workload: () => deployment(10, 10),
  awaiting: new Set(),
  localCount: () => 4,
  fits: () => ({ node: 'cluster-1' }),
  ...over,
});

describe('which burst pod moves home next', () => {
  it('the oldest ready burst pod of a fully ready workload, when a cluster node fits it', () => {
    expect(nextEviction(inputs({ burstPods: [burstPod(2), burstPod(1)] }))).toMatchObject({ evict: { key: 'ns/web-1' }, node: 'cluster-1' });
  });
  const none: [string, Partial<RebalanceInputs>, RegExp][] = [
    ['no room on cluster nodes', { fits: () => undefined }, /no cluster node has room/],
    ['the workload is not fully ready: a move would leave it below its ready replicas', { workload: () => deployment(10, 9) }, /9 of 10 replicas ready/],
    ['the last move of this workload is not replaced yet', { awaiting: new Set(['d1']) }, /not replaced yet/],
    ['a Job\'s pods never move', { workload: () => deployment(1, 1, 'Job') }, /no movable workload/],
    ['a bare pod never moves', { burstPods: [burstPod(1, { workloadUid: undefined })] }, /no movable workload/],
    ['enforce pods stay on CCI', { burstPods: [burstPod(1, { policy: 'enforce' })] }, /no burst pod to move/],
    ['maxNum already reached locally', { burstPods: [burstPod(1, { maxLocal: 4 })] }, /no burst pod to move/],
    ['an unready burst pod is not moved', { burstPods: [burstPod(1, {}, false)] }, /no burst pod to move/],
  ];
  for (const [name, over, reason] of none) it(`none: ${name}`, () => expect(nextEviction(inputs(over))).toEqual({ none: expect.stringMatching(reason) }));
});

describe('the rebalancer', () => {
  const node = (name: string, virtual: boolean, cpu: string): Node => ({
    metadata: { name, labels: virtual ? { type: 'virtual-kubelet' } : {} },
    status: { allocatable: { cpu, memory: '64Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
  });

  function setup(workload: { w: WorkloadRecord }) {
    const api = new FakeApi();
    const clock = new FakeClock();
    const ledger = new PodLedger();
    ledger.setNode('cluster-1', node('cluster-1', false, '8'));
    ledger.setNode('burst', node('burst', true, '1000'));
    const pods = [burstPod(1), burstPod(2), burstPod(3)];
    for (const p of pods) ledger.setPod(p.key, p.pod);
    const events: string[] = [];
    const outcomes: string[] = [];
    const r = new Rebalancer({
      kube: api, ledger, workload: () => workload.w, events: { record: (t, type, reason) => events.push(`${t.name} ${type} ${reason}`) },
      burstPods: () => pods.filter((p) => ledger.pod(p.key)), intervalMs: 10_000, clock, onEviction: (o) => outcomes.push(o), log: createLogger('silent', 'test'),
    });
    return { api, clock, ledger, events, outcomes, r, pods };
  }

  it('evicts one pod per interval through the Eviction API, and the next of the workload only once it is replaced', async () => {
    const workload = { w: deployment(10, 10) };
    const { api, clock, ledger, events, r, pods } = setup(workload);
    r.start();
    await clock.advance(10_000);
    expect(api.writes.map((w) => w.path)).toEqual(['/api/v1/namespaces/ns/pods/web-1/eviction']);
    expect(api.writes[0]!.body).toEqual({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-1', namespace: 'ns' } });
    expect(events).toEqual(['web-1 Normal BurstRebalance']);
    // The pod goes, the workload shows 9 of 10 ready: nothing moves.
    ledger.setPod(pods[0]!.key, undefined);
    workload.w = deployment(10, 9);
    await clock.advance(30_000);
    expect(api.writes).toHaveLength(1);
    // Replaced and ready again: the next one moves.
    workload.w = deployment(10, 10);
    await clock.advance(10_000);
    expect(api.writes.map((w) => w.path)).toEqual(['/api/v1/namespaces/ns/pods/web-1/eviction', '/api/v1/namespaces/ns/pods/web-2/eviction']);
    r.stop();
  });

  it('a PodDisruptionBudget\'s refusal (429) is respected: no event, tried again later', async () => {
    const { api, clock, events, outcomes, r } = setup({ w: deployment(10, 10) });
    api.fail = (method) => (method === 'POST' ? new KubeError(429, 'TooManyRequests', 'Cannot evict pod as it would violate the pod\'s disruption budget.') : undefined);
    r.start();
    await clock.advance(20_000);
    expect(outcomes).toEqual(['blocked', 'blocked']);
    expect(events).toEqual([]);
    api.fail = () => undefined;
    await clock.advance(10_000);
    expect(outcomes.at(-1)).toBe('evicted');
    r.stop();
  });

  it('stops moving when the cluster node is full', async () => {
    const { api, clock, ledger, r } = setup({ w: deployment(10, 10) });
    ledger.setNode('cluster-1', node('cluster-1', false, '500m'));
    r.start();
    await clock.advance(30_000);
    expect(api.writes).toEqual([]);
    r.stop();
  });
});

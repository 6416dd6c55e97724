import { describe, expect, it } from 'vitest';
import { planReplicaSet } from '../../../src/local/workloads/replicaset.ts';
import { NOW, pod, replicaSet } from './fixtures.ts';

describe('planReplicaSet', () => {
  it('creates the missing pods', () => {
    const plan = planReplicaSet(replicaSet('web-rs', 3), [pod({ name: 'a', node: 'n1', readyFor: 60 })], [], NOW);
    expect(plan.create).toBe(2);
    expect(plan.delete).toEqual([]);
    expect(plan.status).toMatchObject({ replicas: 1, readyReplicas: 1, availableReplicas: 1, fullyLabeledReplicas: 1, observedGeneration: 1 });
  });

  it('does not count finished or terminating pods, and replaces them', () => {
    const pods = [pod({ name: 'a', phase: 'Failed' }), pod({ name: 'b', phase: 'Succeeded' }), pod({ name: 'c', deleting: true }), pod({ name: 'd', readyFor: 5 })];
    const plan = planReplicaSet(replicaSet('web-rs', 2), pods, [], NOW);
    expect(plan.create).toBe(1);
    expect(plan.status.replicas).toBe(1);
  });

  it('scales in by deleting the pods with the lowest pod-deletion-cost', () => {
    const pods = [pod({ name: 'keep1', node: 'n1', readyFor: 60, cost: 100 }), pod({ name: 'go', node: 'n1', readyFor: 60, cost: -100 }), pod({ name: 'keep2', node: 'n1', readyFor: 60, cost: 50 })];
    const plan = planReplicaSet(replicaSet('web-rs', 2), pods, pods, NOW);
    expect(plan.delete.map((p) => p.metadata?.name)).toEqual(['go']);
    expect(plan.create).toBe(0);
  });

  it('counts a ready pod as available only after minReadySeconds, and looks again then', () => {
    const rs = replicaSet('web-rs', 1);
    rs.spec!.minReadySeconds = 30;
    const plan = planReplicaSet(rs, [pod({ name: 'a', readyFor: 10 })], [], NOW);
    expect(plan.status).toMatchObject({ readyReplicas: 1, availableReplicas: 0 });
    expect(plan.requeueAfterMs).toBe(30_000);
  });
});

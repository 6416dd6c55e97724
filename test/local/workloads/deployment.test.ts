import { describe, expect, it } from 'vitest';
import { ANNOTATIONS, planDeployment, POD_TEMPLATE_HASH } from '../../../src/local/workloads/deployment.ts';
import type { Deployment, ReplicaSet } from '../../../src/local/workloads/objects.ts';
import { fenceposts } from '../../../src/local/workloads/rolling.ts';
import { deployment, NOW, replicaSet } from './fixtures.ts';

/** The ReplicaSets after a plan, with every pod available at once (the ReplicaSet controller and kubelets at their fastest). */
function apply(d: Deployment, rses: ReplicaSet[], plan: ReturnType<typeof planDeployment>): ReplicaSet[] {
  let out = rses.filter((rs) => !plan.deleteReplicaSets.includes(rs.metadata!.name!));
  if (plan.create) out = [...out, { ...plan.create, metadata: { ...plan.create.metadata, uid: `uid-${plan.create.metadata!.name}`, creationTimestamp: new Date(NOW).toISOString() } }];
  return out.map((rs) => {
    const scale = plan.scale.get(rs.metadata!.name!);
    const replicas = scale?.replicas ?? rs.spec!.replicas!;
    const annotations = { ...rs.metadata?.annotations, ...scale?.annotations };
    return { ...rs, metadata: { ...rs.metadata, annotations }, spec: { ...rs.spec!, replicas }, status: { replicas, availableReplicas: replicas, readyReplicas: replicas } };
  });
}

function rollout(d: Deployment, start: ReplicaSet[]): { steps: ReplicaSet[][]; last: ReturnType<typeof planDeployment> } {
  let rses = start;
  const steps: ReplicaSet[][] = [];
  for (let i = 0; i < 30; i++) {
    const plan = planDeployment(d, rses, [], NOW);
    d = { ...d, status: plan.status, metadata: { ...d.metadata, ...(plan.revision ? { annotations: { [ANNOTATIONS.revision]: plan.revision } } : {}) } };
    const next = apply(d, rses, plan);
    if (!plan.create && plan.scale.size === 0 && plan.deleteReplicaSets.length === 0) return { steps, last: plan };
    steps.push(next);
    rses = next;
  }
  throw new Error('the rollout did not converge in 30 syncs');
}

describe('planDeployment', () => {
  it('creates the first ReplicaSet at full size, owned by the Deployment, labelled by template hash', () => {
    const plan = planDeployment(deployment(3), [], [], NOW);
    const rs = plan.create!;
    const hash = rs.metadata!.labels![POD_TEMPLATE_HASH]!;
    expect(rs.metadata!.name).toBe(`web-${hash}`);
    expect(rs.spec).toMatchObject({ replicas: 3, selector: { matchLabels: { app: 'web', [POD_TEMPLATE_HASH]: hash } } });
    expect(rs.spec!.template!.metadata!.labels).toEqual({ app: 'web', [POD_TEMPLATE_HASH]: hash });
    expect(rs.metadata!.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-web', controller: true, blockOwnerDeletion: true }]);
    expect(rs.metadata!.annotations).toEqual({ [ANNOTATIONS.revision]: '1', [ANNOTATIONS.desiredReplicas]: '3', [ANNOTATIONS.maxReplicas]: '4' });
    expect(plan.events).toEqual([{ type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled up replica set web-${hash} to 3` }]);
    expect(plan.status.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetCreated' });
  });

  it.each([
    ['25%/25%', '25%', '25%', 4],
    ['maxSurge 1, maxUnavailable 0', 1, 0, 3],
    ['maxSurge 0, maxUnavailable 1', 0, 1, 3],
    ['maxSurge 100%', '100%', 0, 5],
  ] as const)('a rolling update (%s) never goes over replicas + maxSurge nor under replicas - maxUnavailable, and ends all-new', (_n, surge, unavailable, replicas) => {
    const d = deployment(replicas, { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } }, 'nginx:2');
    const old = replicaSet('web-old', replicas, {}, { annotations: { [ANNOTATIONS.revision]: '1' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-web', controller: true }] });
    const limits = fenceposts(surge, unavailable, replicas);
    const { steps, last } = rollout(d, [old]);
    for (const step of steps) {
      const total = step.reduce((n, rs) => n + rs.spec!.replicas!, 0);
      expect(total).toBeLessThanOrEqual(replicas + limits.surge);
      expect(total).toBeGreaterThanOrEqual(replicas - limits.unavailable);
    }
    const final = steps.at(-1)!;
    expect(final.find((rs) => rs.metadata!.name === 'web-old')!.spec!.replicas).toBe(0);
    expect(final.find((rs) => rs.metadata!.name !== 'web-old')).toMatchObject({ spec: { replicas }, metadata: { annotations: { [ANNOTATIONS.revision]: '2' } } });
    expect(last.status).toMatchObject({ replicas, updatedReplicas: replicas, availableReplicas: replicas, observedGeneration: 2 });
    expect(last.status.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
    expect(last.status.conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
  });

  it('Recreate: the old ReplicaSet goes to 0 and its pods away before the new one is made', () => {
    const d = deployment(2, { type: 'Recreate' }, 'nginx:2');
    const old = replicaSet('web-old', 2, {}, { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-web', controller: true }] });
    const first = planDeployment(d, [old], [], NOW);
    expect([first.create, Object.fromEntries([...first.scale].map(([k, v]) => [k, v.replicas]))]).toEqual([undefined, { 'web-old': 0 }]);
    const oldPod = { metadata: { name: 'p', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-old', uid: 'uid-web-old', controller: true }] } };
    const scaled = { ...old, spec: { ...old.spec!, replicas: 0 } };
    expect(planDeployment(d, [scaled], [oldPod], NOW).create).toBeUndefined();
    expect(planDeployment(d, [scaled], [], NOW).create?.spec?.replicas).toBe(2);
  });

  it('reports a rollout that makes no progress past progressDeadlineSeconds', () => {
    const d = deployment(1);
    d.status = { observedGeneration: 2, replicas: 1, updatedReplicas: 1, readyReplicas: 0, availableReplicas: 0, conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', lastUpdateTime: new Date(NOW - 601_000).toISOString(), lastTransitionTime: new Date(NOW - 700_000).toISOString() }] };
    const hash = planDeployment(deployment(1), [], [], NOW).create!.metadata!.labels![POD_TEMPLATE_HASH]!;
    const stuck = { ...replicaSet(`web-${hash}`, 1, { replicas: 1, available: 0 }), spec: planDeployment(deployment(1), [], [], NOW).create!.spec };
    stuck.metadata!.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-web', controller: true }];
    const plan = planDeployment(d, [stuck], [], NOW);
    expect(plan.status.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "web-${hash}" has timed out progressing.` });
  });

  it('keeps revisionHistoryLimit empty old ReplicaSets once complete', () => {
    const d = deployment(1);
    d.spec!.revisionHistoryLimit = 1;
    const current = planDeployment(d, [], [], NOW).create!;
    const owned = (rs: ReplicaSet): ReplicaSet => ({ ...rs, metadata: { ...rs.metadata, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-web', controller: true }] } });
    const olds = [1, 2, 3].map((r) => owned(replicaSet(`web-r${r}`, 0, { replicas: 0, available: 0 }, { annotations: { [ANNOTATIONS.revision]: String(r) } }, `nginx:${r}`)));
    const newRs = owned({ ...current, metadata: { ...current.metadata, annotations: { [ANNOTATIONS.revision]: '4' }, uid: 'uid-new' }, status: { replicas: 1, availableReplicas: 1, readyReplicas: 1 } });
    d.status = { observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 1, conditions: [] };
    expect(planDeployment(d, [...olds, newRs], [], NOW).deleteReplicaSets).toEqual(['web-r1', 'web-r2']);
  });
});

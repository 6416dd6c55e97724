import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { filterNode } from '../../src/scheduling/filters.ts';
import { preferredAffinityWeight } from '../../src/scheduling/affinity.ts';
import { podRequests, usageOf } from '../../src/scheduling/resources.ts';
import {
  APPLIED_ANNOTATION, DELETION_COST_ANNOTATION, PLACEMENT_GATE, appliedPolicyOf, mutationFor, requirementFor, withoutRequired, withRequired, type PatchOp, type Taint,
} from '../../src/policy/mutation.ts';
import type { Policy, PolicyDecision, ProfileTerms } from '../../src/policy/policy.ts';
import type { Pod } from '../../src/kube/wire.ts';

const TAINTS: Taint[] = [{ key: 'virtual-kubelet.io/provider', value: 'cci', effect: 'NoSchedule' }];
const node = (name: string, virtual: boolean): V1Node => ({
  metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(virtual ? { type: 'virtual-kubelet' } : {}) } },
  spec: { taints: virtual ? TAINTS : [] },
  status: { allocatable: { cpu: '8', memory: '16Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
});
const VIRTUAL = node('burst', true);
const LOCAL = node('machine', false);

/** RFC 6902 "add" as the API server applies it: creates or replaces an object member. */
function apply(pod: Pod, patch: PatchOp[]): Pod {
  const out = structuredClone(pod) as Record<string, unknown>;
  for (const op of patch) {
    expect(op.op).toBe('add');
    const parts = op.path.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    let at = out;
    for (const p of parts.slice(0, -1)) {
      expect(at[p], `parent of ${op.path} exists`).toBeTypeOf('object');
      at = at[p] as Record<string, unknown>;
    }
    at[parts.at(-1)!] = op.value;
  }
  return out as Pod;
}

const basePod = (): Pod => ({
  metadata: { name: 'p', namespace: 'ns', labels: { app: 'web' } },
  spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '100m' } } }] },
});
const decision = (policy: Policy, profile?: Partial<ProfileTerms>): PolicyDecision => ({
  policy,
  source: 'pod',
  workload: { kind: 'Deployment', namespace: 'ns', name: 'web', uid: 'u1' },
  profile: profile ? { namespace: 'ns', name: 'prof', strategy: policy, maxLocal: undefined, scaleDownPriority: { local: 10, cci: 100 }, ...profile } : undefined,
});
const fits = (pod: Pod, n: V1Node) => filterNode(pod as V1Pod, podRequests(pod as V1Pod), { node: n, usage: usageOf([]) }) === undefined;

describe('mutationFor: each policy in the scheduler\'s own fields', () => {
  it('enforce: tolerates the taint and requires a virtual node', () => {
    const pod = apply(basePod(), mutationFor(basePod(), decision('enforce'), TAINTS).patch);
    expect(fits(pod, VIRTUAL)).toBe(true);
    expect(fits(pod, LOCAL)).toBe(false);
    expect(pod.spec?.schedulingGates).toBeUndefined();
  });

  it('off (explicit): never a virtual node, even with a toleration of everything', () => {
    const tolerant = { ...basePod(), spec: { ...basePod().spec!, tolerations: [{ operator: 'Exists' }] } };
    const pod = apply(tolerant, mutationFor(tolerant, decision('off'), TAINTS).patch);
    expect(fits(pod, VIRTUAL)).toBe(false);
    expect(fits(pod, LOCAL)).toBe(true);
    expect(pod.spec?.tolerations).toEqual([{ operator: 'Exists' }]);
  });

  it('auto: both are candidates, cluster nodes score higher', () => {
    const pod = apply(basePod(), mutationFor(basePod(), decision('auto'), TAINTS).patch);
    expect(fits(pod, VIRTUAL)).toBe(true);
    expect(fits(pod, LOCAL)).toBe(true);
    expect(preferredAffinityWeight(pod as V1Pod, LOCAL)).toBeGreaterThan(preferredAffinityWeight(pod as V1Pod, VIRTUAL));
    expect(pod.spec?.schedulingGates).toBeUndefined();
  });

  it('auto with a maxNum, and localPrefer: tolerate and wait for the placement controller', () => {
    for (const [policy, profile] of [['auto', { maxLocal: 2 }], ['localPrefer', undefined]] as const) {
      const pod = apply(basePod(), mutationFor(basePod(), decision(policy, profile), TAINTS).patch);
      expect(pod.spec?.schedulingGates).toEqual([{ name: PLACEMENT_GATE }]);
      expect(fits(pod, VIRTUAL)).toBe(true);
    }
  });

  it('ANDs into every existing required term, keeps other tolerations and gates', () => {
    const pod: Pod = {
      ...basePod(),
      spec: {
        ...basePod().spec!,
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'x', effect: 'NoSchedule' }],
        schedulingGates: [{ name: 'example.com/quota' }],
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
          { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] },
          { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['burst'] }] },
        ] } } },
      },
    };
    const out = apply(pod, mutationFor(pod, decision('enforce'), TAINTS).patch);
    const terms = out.spec!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms;
    expect(terms).toEqual([
      { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }, { key: 'type', operator: 'In', values: ['virtual-kubelet'] }] },
      { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['burst'] }], matchExpressions: [{ key: 'type', operator: 'In', values: ['virtual-kubelet'] }] },
    ]);
    expect(out.spec?.tolerations).toHaveLength(2);
    const lp = apply(pod, mutationFor(pod, decision('localPrefer'), TAINTS).patch);
    expect(lp.spec?.schedulingGates).toEqual([{ name: 'example.com/quota' }, { name: PLACEMENT_GATE }]);
  });

  it('adds no toleration the pod already has', () => {
    const pod: Pod = { ...basePod(), spec: { ...basePod().spec!, tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists' }] } };
    const m = mutationFor(pod, decision('enforce'), TAINTS);
    expect(m.applied.applied).not.toContain('tolerations');
    expect(m.patch.some((op) => op.path === '/spec/tolerations')).toBe(false);
  });

  it('records what it applied in an annotation the controllers read back', () => {
    const pod = apply(basePod(), mutationFor(basePod(), decision('localPrefer', { maxLocal: 2 }), TAINTS).patch);
    expect(appliedPolicyOf(pod)).toEqual({
      policy: 'localPrefer', source: 'pod', workload: 'Deployment/web', workloadUid: 'u1', profile: 'ns/prof', maxLocal: 2,
      deletionCost: { local: -10, cci: -100 }, applied: ['tolerations', 'schedulingGate', 'deletionCost'],
    });
    expect(pod.metadata?.annotations?.[DELETION_COST_ANNOTATION]).toBe('-10');
  });

  it('never overrides a deletion cost the user set; enforce pods start with the CCI cost', () => {
    const own: Pod = { ...basePod(), metadata: { ...basePod().metadata, annotations: { [DELETION_COST_ANNOTATION]: '7', keep: 'me' } } };
    const a = apply(own, mutationFor(own, decision('localPrefer', {}), TAINTS).patch);
    expect(a.metadata?.annotations).toMatchObject({ [DELETION_COST_ANNOTATION]: '7', keep: 'me' });
    const e = apply(basePod(), mutationFor(basePod(), decision('enforce', {}), TAINTS).patch);
    expect(e.metadata?.annotations?.[DELETION_COST_ANNOTATION]).toBe('-100');
  });

  it('a pod created bound to a node is only annotated', () => {
    const bound: Pod = { ...basePod(), spec: { ...basePod().spec!, nodeName: 'machine' } };
    const m = mutationFor(bound, decision('localPrefer', {}), TAINTS);
    expect(m.patch.map((op) => op.path)).toEqual(['/metadata/annotations']);
    expect(m.applied.skipped).toMatch(/bound to node machine/);
  });

  it('escapes nothing wrongly: annotations keep their slashes', () => {
    const pod = apply(basePod(), mutationFor(basePod(), decision('auto'), TAINTS).patch);
    expect(Object.keys(pod.metadata?.annotations ?? {})).toEqual([APPLIED_ANNOTATION]);
  });

  it('withoutRequired takes back exactly what withRequired added', () => {
    const zone = { key: 'zone', operator: 'In', values: ['a'] };
    const own = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [zone] }] }, preferredDuringSchedulingIgnoredDuringExecution: [] } };
    expect(withoutRequired(withRequired(own, requirementFor('cci')), requirementFor('cci'))).toEqual({ nodeAffinity: { ...own.nodeAffinity, requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [zone] }] } } });
    expect(withoutRequired(withRequired(undefined, requirementFor('cci')), requirementFor('cci'))).toEqual({ nodeAffinity: {} });
    expect(withoutRequired(withRequired(undefined, requirementFor('local')), requirementFor('cci'))?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms).toHaveLength(1);
  });
});

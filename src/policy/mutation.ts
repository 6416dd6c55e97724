// A policy expressed in the standard fields the real kube-scheduler reads, as the JSON Patch an
// admission webhook returns: tolerations for the virtual nodes' taints, required or preferred
// node affinity on their `type=virtual-kubelet` label, a scheduling gate where burstlet's
// placement controller must decide (localPrefer, or a maxNum), and an annotation recording all
// of it. Pure: the same pod and decision always give the same patch.
import type { V1Affinity, V1NodeSelectorRequirement, V1Toleration } from '@kubernetes/client-node';
import type { Pod } from '../kube/wire.ts';
import { toleratedBy } from '../scheduling/affinity.ts';
import type { Policy, PolicyDecision, PolicySource } from './policy.ts';

/** The label every burstlet virtual node carries (CCE's, too). */
export const VIRTUAL_NODE_LABEL = { key: 'type', value: 'virtual-kubelet' } as const;
/** While a pod carries this gate, burstlet's placement controller has not chosen local or CCI yet. */
export const PLACEMENT_GATE = 'bursting.cci.io/placement';
/** What the webhook applied (JSON, see AppliedPolicy). */
export const APPLIED_ANNOTATION = 'bursting.cci.io/policy-applied';
export const DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';
/** Weight of the preferred term leaning `auto` pods to cluster nodes (the largest allowed). */
export const AUTO_LOCAL_WEIGHT = 100;

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

export type AppliedField = 'tolerations' | 'requiredAffinity' | 'preferredAffinity' | 'schedulingGate' | 'deletionCost';

/** The applied-policy annotation: what burstlet's controllers and `kubectl describe` read. */
export interface AppliedPolicy {
  policy: Policy;
  source: PolicySource;
  /** "Kind/name" of the workload the pod belongs to, when it has one. */
  workload?: string;
  workloadUid?: string;
  /** "namespace/name" of the matching ScheduleProfile. */
  profile?: string;
  maxLocal?: number;
  /** pod-deletion-cost for each location (minus the profile's scaleDownPriority). */
  deletionCost?: { local: number; cci: number };
  applied: AppliedField[];
  /** Why nothing was changed, when nothing could be. */
  skipped?: string;
}

export type PatchOp = { op: 'add'; path: string; value: unknown };

export interface Mutation {
  patch: PatchOp[];
  applied: AppliedPolicy;
}

const notVirtual: V1NodeSelectorRequirement = { key: VIRTUAL_NODE_LABEL.key, operator: 'NotIn', values: [VIRTUAL_NODE_LABEL.value] };
const onlyVirtual: V1NodeSelectorRequirement = { key: VIRTUAL_NODE_LABEL.key, operator: 'In', values: [VIRTUAL_NODE_LABEL.value] };

export function requirementFor(location: 'local' | 'cci'): V1NodeSelectorRequirement {
  return location === 'local' ? notVirtual : onlyVirtual;
}

/**
 * ANDs `req` into every required node-selector term (terms are ORed), or makes it the only term.
 * Only adding expressions to each term is a narrowing the API server accepts on a gated pod.
 */
export function withRequired(affinity: V1Affinity | undefined, req: V1NodeSelectorRequirement): V1Affinity {
  const terms = affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  const narrowed = terms.length === 0 ? [{ matchExpressions: [req] }] : terms.map((t) => ({ ...t, matchExpressions: [...(t.matchExpressions ?? []), req] }));
  return {
    ...affinity,
    nodeAffinity: { ...affinity?.nodeAffinity, requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: narrowed } },
  };
}

/** Takes `req` back out of every required term (undoing withRequired); terms left empty go. */
export function withoutRequired(affinity: V1Affinity | undefined, req: V1NodeSelectorRequirement): V1Affinity | undefined {
  const required = affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return affinity;
  const same = (r: V1NodeSelectorRequirement): boolean => JSON.stringify([r.key, r.operator, r.values]) === JSON.stringify([req.key, req.operator, req.values]);
  const terms = required.nodeSelectorTerms
    .map((t) => ({ ...t, matchExpressions: (t.matchExpressions ?? []).filter((r) => !same(r)) }))
    .filter((t) => t.matchExpressions.length > 0 || (t.matchFields ?? []).length > 0);
  const { requiredDuringSchedulingIgnoredDuringExecution: _, ...rest } = affinity!.nodeAffinity!;
  return { ...affinity, nodeAffinity: terms.length > 0 ? { ...rest, requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } : rest };
}

function withPreferredLocal(affinity: V1Affinity | undefined): V1Affinity {
  const preferred = affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  return {
    ...affinity,
    nodeAffinity: {
      ...affinity?.nodeAffinity,
      preferredDuringSchedulingIgnoredDuringExecution: [...preferred, { weight: AUTO_LOCAL_WEIGHT, preference: { matchExpressions: [notVirtual] } }],
    },
  };
}

function tolerationsFor(existing: readonly V1Toleration[], taints: readonly Taint[]): V1Toleration[] {
  const added = taints
    .filter((taint) => !toleratedBy(existing, taint))
    .map((taint): V1Toleration => (taint.value ? { key: taint.key, operator: 'Equal', value: taint.value, effect: taint.effect } : { key: taint.key, operator: 'Exists', effect: taint.effect }));
  return added;
}

/** Whether the pod must wait for the placement controller: localPrefer always, auto when a maxNum bounds it. */
export function needsPlacement(decision: PolicyDecision): boolean {
  return decision.policy === 'localPrefer' || (decision.policy === 'auto' && decision.profile?.maxLocal !== undefined);
}

function describe(decision: PolicyDecision): AppliedPolicy {
  const { workload, profile } = decision;
  return {
    policy: decision.policy,
    source: decision.source,
    ...(workload ? { workload: `${workload.kind}/${workload.name}`, workloadUid: workload.uid } : {}),
    ...(profile ? { profile: `${profile.namespace}/${profile.name}` } : {}),
    ...(profile?.maxLocal !== undefined && decision.policy !== 'enforce' && decision.policy !== 'off' ? { maxLocal: profile.maxLocal } : {}),
    ...(profile ? { deletionCost: { local: -profile.scaleDownPriority.local, cci: -profile.scaleDownPriority.cci } } : {}),
    applied: [],
  };
}

/**
 * The patch for `pod` under `decision`. `taints` are the virtual nodes' taints (what the pod must
 * tolerate to land there). A pod created already bound (spec.nodeName) is only annotated: no
 * scheduler will read its fields, and a bound pod may not carry a scheduling gate.
 */
export function mutationFor(pod: Pod, decision: PolicyDecision, taints: readonly Taint[]): Mutation {
  const applied = describe(decision);
  const spec = pod.spec;
  const patch: PatchOp[] = [];
  if (spec?.nodeName) {
    applied.skipped = `created bound to node ${spec.nodeName}`;
  } else {
    const affinity = spec?.affinity as V1Affinity | undefined;
    const tolerations = decision.policy === 'off' ? [] : tolerationsFor(spec?.tolerations ?? [], taints);
    if (tolerations.length > 0) {
      patch.push({ op: 'add', path: '/spec/tolerations', value: [...(spec?.tolerations ?? []), ...tolerations] });
      applied.applied.push('tolerations');
    }
    let next: V1Affinity | undefined;
    if (decision.policy === 'off') next = withRequired(affinity, notVirtual);
    else if (decision.policy === 'enforce') next = withRequired(affinity, onlyVirtual);
    else if (decision.policy === 'auto') next = withPreferredLocal(affinity);
    if (next) {
      patch.push({ op: 'add', path: '/spec/affinity', value: next });
      applied.applied.push(decision.policy === 'auto' ? 'preferredAffinity' : 'requiredAffinity');
    }
    if (needsPlacement(decision)) {
      patch.push({ op: 'add', path: '/spec/schedulingGates', value: [...(spec?.schedulingGates ?? []), { name: PLACEMENT_GATE }] });
      applied.applied.push('schedulingGate');
    }
  }
  const annotations: Record<string, string> = { ...pod.metadata?.annotations };
  if (applied.deletionCost && annotations[DELETION_COST_ANNOTATION] === undefined && !spec?.nodeName && decision.policy !== 'off') {
    // Until placed: as a local pod. The controller sets the CCI cost on pods that land on a virtual node.
    annotations[DELETION_COST_ANNOTATION] = String(decision.policy === 'enforce' ? applied.deletionCost.cci : applied.deletionCost.local);
    applied.applied.push('deletionCost');
  }
  annotations[APPLIED_ANNOTATION] = JSON.stringify(applied);
  patch.push({ op: 'add', path: '/metadata/annotations', value: annotations });
  return { patch, applied };
}

/** The applied-policy annotation of a pod, if it has a readable one. */
export function appliedPolicyOf(pod: Pod): AppliedPolicy | undefined {
  const raw = pod.metadata?.annotations?.[APPLIED_ANNOTATION];
  if (raw === undefined) return undefined;
  try {
    const parsed = JSON.parse(raw) as AppliedPolicy;
    return typeof parsed === 'object' && parsed !== null && typeof parsed.policy === 'string' && Array.isArray(parsed.applied) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

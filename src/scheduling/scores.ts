// kube-scheduler's default Score plugins that matter without volumes or pod affinity, each
// normalised to 0–100 and weighted as in its default profile.
import type { V1Pod } from '@kubernetes/client-node';
import { preferredAffinityWeight, toleratedBy } from './affinity.ts';
import type { NodeInfo } from './filters.ts';
import { nodeAllocatable, podRequests } from './resources.ts';

const MAX_SCORE = 100;
const WEIGHTS = { taintToleration: 3, nodeAffinity: 2, leastAllocated: 1, balancedAllocation: 1 };
const SCORED_RESOURCES = ['cpu', 'memory'];

/** DefaultNormalizeScore: scale to 0–100 by the highest raw score, optionally reversed. */
function normalize(raw: number[], reverse: boolean): number[] {
  const max = Math.max(0, ...raw);
  if (max === 0) return raw.map(() => (reverse ? MAX_SCORE : 0));
  return raw.map((r) => {
    const scaled = Math.floor((r * MAX_SCORE) / max);
    return reverse ? MAX_SCORE - scaled : scaled;
  });
}

/** Untolerated PreferNoSchedule taints: fewer is better. */
function intolerablePreferNoSchedule(pod: V1Pod, info: NodeInfo): number {
  const tolerations = (pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
  return (info.node.spec?.taints ?? []).filter((t) => t.effect === 'PreferNoSchedule' && !toleratedBy(tolerations, t)).length;
}

/** Per scored resource: the fraction of allocatable the node would have requested with this pod. */
function fractions(pod: V1Pod, info: NodeInfo): Array<{ requested: bigint; allocatable: bigint }> {
  const allocatable = nodeAllocatable(info.node);
  const used = info.usage.nonZero;
  const wanted = podRequests(pod, { nonZero: true });
  return SCORED_RESOURCES.map((name) => ({
    requested: (used.get(name) ?? 0n) + (wanted.get(name) ?? 0n),
    allocatable: allocatable.get(name) ?? 0n,
  }));
}

/** LeastAllocated: the free share of cpu and memory after placing the pod, averaged. */
function leastAllocated(pod: V1Pod, info: NodeInfo): number {
  const scores = fractions(pod, info).map(({ requested, allocatable }) =>
    allocatable === 0n || requested > allocatable ? 0 : Number(((allocatable - requested) * 100n) / allocatable),
  );
  return Math.floor(scores.reduce((a, b) => a + b, 0) / scores.length);
}

/** BalancedAllocation: 100 × (1 − standard deviation of the cpu and memory fractions). */
function balancedAllocation(pod: V1Pod, info: NodeInfo): number {
  const shares = fractions(pod, info)
    .filter(({ allocatable }) => allocatable > 0n)
    .map(({ requested, allocatable }) => Math.min(1, Number(requested) / Number(allocatable)));
  if (shares.length === 0) return 0;
  const mean = shares.reduce((a, b) => a + b, 0) / shares.length;
  const variance = shares.reduce((a, s) => a + (s - mean) ** 2, 0) / shares.length;
  return Math.floor((1 - Math.sqrt(variance)) * MAX_SCORE);
}

/** The weighted total score of each feasible node, in input order. */
export function scoreNodes(pod: V1Pod, feasible: readonly NodeInfo[]): number[] {
  const affinity = normalize(
    feasible.map((i) => preferredAffinityWeight(pod, i.node)),
    false,
  );
  const taints = normalize(
    feasible.map((i) => intolerablePreferNoSchedule(pod, i)),
    true,
  );
  return feasible.map(
    (info, i) =>
      WEIGHTS.nodeAffinity * affinity[i]! +
      WEIGHTS.taintToleration * taints[i]! +
      WEIGHTS.leastAllocated * leastAllocated(pod, info) +
      WEIGHTS.balancedAllocation * balancedAllocation(pod, info),
  );
}

// One scheduling decision: filter every node, score the feasible ones, pick the best; or
// explain, in kube-scheduler's words, why the pod fits nowhere.
import type { V1Pod } from '@kubernetes/client-node';
import { filterNode, type NodeInfo, type Rejection } from './filters.ts';
import { podRequests } from './resources.ts';
import { scoreNodes } from './scores.ts';

export type Decision = { node: string } | { unschedulable: string };

/** kube-scheduler's ErrNoNodesAvailable. */
export const NO_NODES_MESSAGE = 'no nodes available to schedule pods';

function histogram(reasons: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  // FitError sorts the "<count> <reason>" strings themselves (Go sort.Strings: byte order).
  return [...counts]
    .map(([reason, n]) => `${n} ${reason}`)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .join(', ');
}

/**
 * The FitError text: "0/N nodes are available: <filter reasons>. preemption: <PostFilter>."
 * Preemption is never attempted here; its message says why it would not help, as the real
 * one does when no lower-priority victims exist.
 */
export function fitErrorMessage(pod: V1Pod, rejections: readonly Rejection[]): string {
  const total = rejections.length;
  const filterPart = histogram(rejections.flatMap((r) => r.reasons));
  const preemption =
    pod.spec?.preemptionPolicy === 'Never'
      ? 'not eligible due to preemptionPolicy=Never'
      : `0/${total} nodes are available: ${histogram(
          rejections.map((r) => (r.resolvable ? 'No preemption victims found for incoming pod' : 'Preemption is not helpful for scheduling')),
        )}`;
  return `0/${total} nodes are available: ${filterPart}. preemption: ${preemption}.`;
}

export function schedule(pod: V1Pod, nodes: readonly NodeInfo[]): Decision {
  if (nodes.length === 0) return { unschedulable: NO_NODES_MESSAGE };
  const request = podRequests(pod);
  const feasible: NodeInfo[] = [];
  const rejections: Rejection[] = [];
  for (const info of nodes) {
    const rejection = filterNode(pod, request, info);
    if (rejection) rejections.push(rejection);
    else feasible.push(info);
  }
  if (feasible.length === 0) return { unschedulable: fitErrorMessage(pod, rejections) };
  const scores = scoreNodes(pod, feasible);
  // Highest score wins; ties go to the first node name, so decisions are reproducible.
  let best = 0;
  for (let i = 1; i < feasible.length; i++) {
    const better = scores[i]! > scores[best]! || (scores[i] === scores[best] && nameOf(feasible[i]!) < nameOf(feasible[best]!));
    if (better) best = i;
  }
  return { node: nameOf(feasible[best]!) };
}

function nameOf(info: NodeInfo): string {
  return info.node.metadata?.name ?? '';
}

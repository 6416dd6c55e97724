// Which pods a ReplicaSet deletes first when it scales in: the order of the ReplicaSet
// controller's ActivePodsWithRanks (k8s.io/kubernetes/pkg/controller), including the
// controller.kubernetes.io/pod-deletion-cost annotation and logarithmic scale-down.
import { isReady, readySince, type Pod } from './objects.ts';

export const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/** The annotation's int32, or 0 when absent or not an int32 (as GetDeletionCostFromPodAnnotations). */
export function deletionCost(pod: Pod): number {
  const raw = pod.metadata?.annotations?.[POD_DELETION_COST];
  if (raw === undefined || !/^[+-]?\d+$/.test(raw)) return 0;
  const n = Number(raw);
  return n >= -(2 ** 31) && n < 2 ** 31 ? n : 0;
}

const maxRestarts = (pod: Pod): number => Math.max(0, ...(pod.status?.containerStatuses ?? []).map((c) => c.restartCount ?? 0));

/** floor(log2(now - t)) in nanoseconds, -1 for a time not in the past: pods within a factor of two of age rank alike. */
function logRank(t: number, now: number): number {
  const d = (now - t) * 1e6;
  return d > 0 ? Math.floor(Math.log2(d)) : -1;
}

/** Negative when a goes first, positive when b does, 0 when they rank alike. */
function compare(a: Pod, b: Pod, rankA: number, rankB: number, now: number): number {
  const nodeA = a.spec?.nodeName ?? '';
  const nodeB = b.spec?.nodeName ?? '';
  if (nodeA !== nodeB && (nodeA === '' || nodeB === '')) return nodeA === '' ? -1 : 1;
  const phaseA = PHASE_ORDINAL[a.status?.phase ?? ''] ?? 0;
  const phaseB = PHASE_ORDINAL[b.status?.phase ?? ''] ?? 0;
  if (phaseA !== phaseB) return phaseA - phaseB;
  if (isReady(a) !== isReady(b)) return isReady(a) ? 1 : -1;
  const cost = deletionCost(a) - deletionCost(b);
  if (cost !== 0) return cost;
  if (rankA !== rankB) return rankB - rankA;
  const uid = (): number => ((a.metadata?.uid ?? '') < (b.metadata?.uid ?? '') ? -1 : 1);
  if (isReady(a) && isReady(b)) {
    const ra = readySince(a)!;
    const rb = readySince(b)!;
    if (ra !== rb) {
      const diff = logRank(ra, now) - logRank(rb, now);
      return diff === 0 ? uid() : diff;
    }
  }
  const restarts = maxRestarts(b) - maxRestarts(a);
  if (restarts !== 0) return restarts;
  const ca = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
  const cb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
  if (ca !== cb) {
    const diff = logRank(ca, now) - logRank(cb, now);
    return diff === 0 ? uid() : diff;
  }
  return 0;
}

/**
 * The `count` pods to delete out of `pods`, first to go first. `related` are the active pods of
 * the same workload (all ReplicaSets of a Deployment): a pod sharing its node with more of them
 * goes earlier, which spreads what remains.
 */
export function podsToDelete(pods: readonly Pod[], related: readonly Pod[], count: number, now: number): Pod[] {
  if (count >= pods.length) return [...pods];
  const perNode = new Map<string, number>();
  for (const p of related) {
    const node = p.spec?.nodeName ?? '';
    perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  const rank = (p: Pod): number => perNode.get(p.spec?.nodeName ?? '') ?? 0;
  const ranked = pods.map((pod) => ({ pod, rank: rank(pod) }));
  ranked.sort((x, y) => compare(x.pod, y.pod, x.rank, y.rank, now));
  return ranked.slice(0, count).map((x) => x.pod);
}

// The ReplicaSet controller's decision, pure: how many pods to create, which to delete (ranked
// as kube's ReplicaSet controller does), and the status to report.
import { isActive, isAvailable, isReady, selectorMatches, type Pod, type ReplicaSet } from './objects.ts';
import { podsToDelete } from './ranking.ts';

/** The most pods one sync creates or deletes (the controller's burstReplicas). */
export const BURST_REPLICAS = 500;

export type ReplicaSetStatus = NonNullable<ReplicaSet['status']>;

export interface ReplicaSetPlan {
  create: number;
  delete: Pod[];
  status: ReplicaSetStatus;
  /** Sync again after this long (a ready pod becomes available after minReadySeconds). */
  requeueAfterMs?: number;
}

/** `owned`: the pods this ReplicaSet controls; `related`: the active pods of its whole workload, for ranking. */
export function planReplicaSet(rs: ReplicaSet, owned: readonly Pod[], related: readonly Pod[], now: number): ReplicaSetPlan {
  const active = owned.filter(isActive);
  const wanted = rs.spec?.replicas ?? 1;
  const diff = active.length - wanted;
  const create = rs.metadata?.deletionTimestamp ? 0 : Math.min(Math.max(0, -diff), BURST_REPLICAS);
  const remove = diff > 0 ? podsToDelete(active, related, Math.min(diff, BURST_REPLICAS), now) : [];
  const minReady = rs.spec?.minReadySeconds ?? 0;
  const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
  const ready = active.filter(isReady);
  const available = active.filter((p) => isAvailable(p, minReady, now));
  const status: ReplicaSetStatus = {
    replicas: active.length,
    fullyLabeledReplicas: active.filter((p) => selectorMatches({ matchLabels: templateLabels }, p.metadata?.labels)).length,
    readyReplicas: ready.length,
    availableReplicas: available.length,
    observedGeneration: rs.metadata?.generation ?? 0,
  };
  const plan: ReplicaSetPlan = { create, delete: remove, status };
  if (minReady > 0 && available.length < ready.length) plan.requeueAfterMs = minReady * 1000;
  return plan;
}

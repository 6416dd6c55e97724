// A Deployment's status as the deployment controller computes it (calculateStatus and
// syncRolloutStatus): counts summed over its ReplicaSets, the Available condition, and the
// Progressing condition that `kubectl rollout status` reads, with the progress deadline.
import type { Deployment, ReplicaSet } from './objects.ts';

export type DeploymentStatus = NonNullable<Deployment['status']>;
type Condition = NonNullable<DeploymentStatus['conditions']>[number];

export const REASON = {
  minimumAvailable: 'MinimumReplicasAvailable',
  minimumUnavailable: 'MinimumReplicasUnavailable',
  newRsCreated: 'NewReplicaSetCreated',
  foundNewRs: 'FoundNewReplicaSet',
  rsUpdated: 'ReplicaSetUpdated',
  newRsAvailable: 'NewReplicaSetAvailable',
  timedOut: 'ProgressDeadlineExceeded',
} as const;

const n = (v: number | undefined): number => v ?? 0;

/** SetDeploymentCondition: the same status and reason keep the condition as it is; the same status keeps its transition time. */
export function setCondition(conditions: readonly Condition[], next: Condition): Condition[] {
  const current = conditions.find((c) => c.type === next.type);
  if (current && current.status === next.status && current.reason === next.reason) return [...conditions];
  const kept = current && current.status === next.status ? { ...next, lastTransitionTime: current.lastTransitionTime } : next;
  return [...conditions.filter((c) => c.type !== next.type), kept];
}

export function condition(type: string, status: 'True' | 'False', reason: string, message: string, now: string): Condition {
  return { type, status, reason, message, lastUpdateTime: now, lastTransitionTime: now };
}

export interface StatusInput {
  deployment: Deployment;
  all: readonly ReplicaSet[];
  newRs: ReplicaSet | undefined;
  /** MaxUnavailable of the strategy (0 for Recreate). */
  maxUnavailable: number;
  now: number;
}

/** The new status, and when to look again for the progress deadline (undefined: no need). */
export function deploymentStatus({ deployment: d, all, newRs, maxUnavailable, now }: StatusInput): { status: DeploymentStatus; recheckAfterMs?: number } {
  const replicas = n(d.spec?.replicas ?? 1);
  const ts = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const available = all.reduce((s, rs) => s + n(rs.status?.availableReplicas), 0);
  const desired = all.reduce((s, rs) => s + n(rs.spec?.replicas), 0);
  const old = d.status ?? {};
  const status: DeploymentStatus = {
    observedGeneration: d.metadata?.generation ?? 0,
    replicas: all.reduce((s, rs) => s + n(rs.status?.replicas), 0),
    updatedReplicas: n(newRs?.status?.replicas),
    readyReplicas: all.reduce((s, rs) => s + n(rs.status?.readyReplicas), 0),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, desired - available),
    ...(old.collisionCount !== undefined ? { collisionCount: old.collisionCount } : {}),
  };
  let conditions: Condition[] = [...(old.conditions ?? [])];
  conditions = available >= replicas - maxUnavailable
    ? setCondition(conditions, condition('Available', 'True', REASON.minimumAvailable, 'Deployment has minimum availability.', ts))
    : setCondition(conditions, condition('Available', 'False', REASON.minimumUnavailable, 'Deployment does not have minimum availability.', ts));

  const deadline = d.spec?.progressDeadlineSeconds;
  const progressing = conditions.find((c) => c.type === 'Progressing');
  const what = newRs ? `ReplicaSet ${JSON.stringify(newRs.metadata?.name)}` : `Deployment ${JSON.stringify(d.metadata?.name)}`;
  const complete = status.updatedReplicas === replicas && status.replicas === replicas && status.availableReplicas === replicas && n(status.observedGeneration) >= n(d.metadata?.generation);
  const alreadyComplete = status.replicas === status.updatedReplicas && progressing?.reason === REASON.newRsAvailable;
  let recheckAfterMs: number | undefined;
  if (deadline === undefined) {
    conditions = conditions.filter((c) => c.type !== 'Progressing');
  } else if (!alreadyComplete) {
    const oldReplicasNow = n(status.replicas) - n(status.updatedReplicas);
    const oldReplicasBefore = n(old.replicas) - n(old.updatedReplicas);
    const moved = n(status.updatedReplicas) > n(old.updatedReplicas) || oldReplicasNow < oldReplicasBefore ||
      n(status.readyReplicas) > n(old.readyReplicas) || available > n(old.availableReplicas);
    if (complete) {
      conditions = setCondition(conditions, condition('Progressing', 'True', REASON.newRsAvailable, `${what} has successfully progressed.`, ts));
    } else if (moved) {
      const next = condition('Progressing', 'True', REASON.rsUpdated, `${what} is progressing.`, ts);
      if (progressing?.status === 'True') next.lastTransitionTime = progressing.lastTransitionTime;
      conditions = [...conditions.filter((c) => c.type !== 'Progressing'), next];
      recheckAfterMs = deadline * 1000;
    } else if (progressing && progressing.reason !== REASON.timedOut) {
      const from = Date.parse(progressing.lastUpdateTime ?? '') || now;
      if (from + deadline * 1000 < now) {
        conditions = setCondition(conditions, condition('Progressing', 'False', REASON.timedOut, `${what} has timed out progressing.`, ts));
      } else {
        recheckAfterMs = from + deadline * 1000 - now + 1000;
      }
    }
  }
  status.conditions = conditions;
  return recheckAfterMs === undefined ? { status } : { status, recheckAfterMs };
}

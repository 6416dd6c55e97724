// The Deployment controller's decision for one sync, pure: find or create the ReplicaSet of the
// current template (pod-template-hash), scale it and the old ones by the strategy (RollingUpdate
// with maxSurge/maxUnavailable, or Recreate), trim history, and compute the status. As in kube's
// controller, a sync makes one kind of move (scale up, or scale down) and the next sync, woken
// by the ReplicaSets' status, makes the next.
import { canonicalJson } from '../apiserver/validation.ts';
import { condition, deploymentStatus, REASON, setCondition, type DeploymentStatus } from './deployment-status.ts';
import { byCreation, ownerReference, type Deployment, type Pod, type ReplicaSet } from './objects.ts';
import { fenceposts, newReplicaSetSize, scaleDownOld, type RsCounts } from './rolling.ts';
import { templateHash } from './template-hash.ts';

export const POD_TEMPLATE_HASH = 'pod-template-hash';
export const ANNOTATIONS = {
  revision: 'deployment.kubernetes.io/revision',
  desiredReplicas: 'deployment.kubernetes.io/desired-replicas',
  maxReplicas: 'deployment.kubernetes.io/max-replicas',
} as const;

export interface WorkloadEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface DeploymentPlan {
  create?: ReplicaSet;
  /** ReplicaSet name → its new spec.replicas and annotations. */
  scale: Map<string, { replicas: number; annotations: Record<string, string> }>;
  deleteReplicaSets: string[];
  /** The Deployment's revision annotation, when it changes. */
  revision?: string;
  status: DeploymentStatus;
  events: WorkloadEvent[];
  requeueAfterMs?: number;
}

const withoutHash = (template: unknown): string => {
  const t = structuredClone(template) as { metadata?: { labels?: Record<string, string> } } | undefined;
  if (t?.metadata?.labels) delete t.metadata.labels[POD_TEMPLATE_HASH];
  return canonicalJson(t);
};

const revisionOf = (rs: ReplicaSet): number => Number(rs.metadata?.annotations?.[ANNOTATIONS.revision] ?? 0) || 0;
const counts = (rs: ReplicaSet): RsCounts => ({
  name: rs.metadata?.name ?? '',
  replicas: rs.spec?.replicas ?? 0,
  available: rs.status?.availableReplicas ?? 0,
  created: rs.metadata?.creationTimestamp ?? '',
});

function newReplicaSet(d: Deployment, hash: string, replicas: number, annotations: Record<string, string>): ReplicaSet {
  const template = structuredClone(d.spec!.template);
  template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH]: hash } };
  const selector = structuredClone(d.spec!.selector);
  selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH]: hash };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata?.name}-${hash}`,
      namespace: d.metadata?.namespace,
      labels: { ...template.metadata.labels },
      annotations,
      ownerReferences: [ownerReference({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: d.metadata })],
    },
    spec: { replicas, ...(d.spec?.minReadySeconds ? { minReadySeconds: d.spec.minReadySeconds } : {}), selector, template },
  };
}

const scaledMessage = (name: string, to: number, from: number): string =>
  `Scaled ${to > from ? 'up' : 'down'} replica set ${name} to ${to} from ${from}`;

/** `owned`: the ReplicaSets this Deployment controls; `pods`: their pods (for Recreate's wait). */
export function planDeployment(d: Deployment, owned: readonly ReplicaSet[], pods: readonly Pod[], now: number): DeploymentPlan {
  const replicas = d.spec?.replicas ?? 1;
  const recreate = d.spec?.strategy?.type === 'Recreate';
  const { surge, unavailable } = recreate ? { surge: 0, unavailable: 0 } : fenceposts(d.spec?.strategy?.rollingUpdate?.maxSurge, d.spec?.strategy?.rollingUpdate?.maxUnavailable, replicas);
  const active = owned.filter((rs) => !rs.metadata?.deletionTimestamp);
  const current = withoutHash(d.spec?.template);
  const newRs = active.filter((rs) => withoutHash(rs.spec?.template) === current).sort(byCreation)[0];
  const old = active.filter((rs) => rs !== newRs);
  const plan: DeploymentPlan = { scale: new Map(), deleteReplicaSets: [], status: {}, events: [] };
  const maxOldRevision = Math.max(0, ...old.map(revisionOf));
  const revision = newRs && revisionOf(newRs) > maxOldRevision ? revisionOf(newRs) : maxOldRevision + 1;
  const annotations = (): Record<string, string> => ({
    [ANNOTATIONS.desiredReplicas]: String(replicas),
    [ANNOTATIONS.maxReplicas]: String(replicas + surge),
    [ANNOTATIONS.revision]: String(revision),
  });
  if (d.metadata?.annotations?.[ANNOTATIONS.revision] !== String(revision)) plan.revision = String(revision);
  const scale = (rs: ReplicaSet, to: number): void => {
    const from = rs.spec?.replicas ?? 0;
    plan.scale.set(rs.metadata!.name!, { replicas: to, annotations: rs === newRs ? annotations() : {} });
    if (to !== from) plan.events.push({ type: 'Normal', reason: 'ScalingReplicaSet', message: scaledMessage(rs.metadata!.name!, to, from) });
  };
  const ts = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
  let conditions = d.status?.conditions ?? [];
  if (!d.spec?.paused) {
    const oldCounts = old.map(counts);
    if (recreate) {
      const oldUp = old.filter((rs) => (rs.spec?.replicas ?? 0) > 0);
      for (const rs of oldUp) scale(rs, 0);
      const oldPodsLeft = pods.some((p) => old.some((rs) => p.metadata?.ownerReferences?.some((r) => r.uid === rs.metadata?.uid)));
      if (oldUp.length === 0 && !oldPodsLeft) {
        if (!newRs) plan.create = newReplicaSet(d, templateHash(d.spec?.template, d.status?.collisionCount), replicas, annotations());
        else if ((newRs.spec?.replicas ?? 0) !== replicas) scale(newRs, replicas);
      }
    } else if (!newRs) {
      const size = newReplicaSetSize(replicas, surge, undefined, oldCounts);
      plan.create = newReplicaSet(d, templateHash(d.spec?.template, d.status?.collisionCount), size, annotations());
    } else {
      const size = (newRs.spec?.replicas ?? 0) > replicas ? replicas : newReplicaSetSize(replicas, surge, counts(newRs), oldCounts);
      if (size !== (newRs.spec?.replicas ?? 0)) scale(newRs, size);
      else for (const [name, to] of scaleDownOld(replicas, unavailable, counts(newRs), oldCounts)) scale(old.find((rs) => rs.metadata?.name === name)!, to);
    }
    if (plan.create) {
      const name = plan.create.metadata!.name!;
      if ((plan.create.spec?.replicas ?? 0) > 0) plan.events.push({ type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled up replica set ${name} to ${plan.create.spec!.replicas}` });
      conditions = setCondition(conditions, condition('Progressing', 'True', REASON.newRsCreated, `Created new replica set ${JSON.stringify(name)}`, ts));
    } else if (newRs && !conditions.some((c) => c.type === 'Progressing')) {
      conditions = setCondition(conditions, condition('Progressing', 'True', REASON.foundNewRs, `Found new replica set ${JSON.stringify(newRs.metadata?.name)}`, ts));
    }
  }
  const withConditions: Deployment = { ...d, status: { ...d.status, conditions } };
  const { status, recheckAfterMs } = deploymentStatus({ deployment: withConditions, all: active, newRs, maxUnavailable: unavailable, now });
  plan.status = status;
  if (recheckAfterMs !== undefined) plan.requeueAfterMs = recheckAfterMs;
  if (plan.scale.size === 0 && !plan.create && status.conditions?.some((c) => c.type === 'Progressing' && c.reason === REASON.newRsAvailable)) {
    plan.deleteReplicaSets = historyToDelete(old, d.spec?.revisionHistoryLimit ?? 10);
  }
  return plan;
}

/** Old ReplicaSets with nothing left, beyond revisionHistoryLimit, oldest revision first. */
function historyToDelete(old: readonly ReplicaSet[], limit: number): string[] {
  const empty = old.filter((rs) => (rs.spec?.replicas ?? 0) === 0 && (rs.status?.replicas ?? 0) === 0).sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
  return empty.slice(0, Math.max(0, empty.length - limit)).map((rs) => rs.metadata!.name!);
}

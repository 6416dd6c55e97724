// The StatefulSet controller's decision for one sync, pure: pods named <set>-<ordinal>, created
// in order and each only once its predecessor is Running and Ready (OrderedReady; Parallel
// creates them together), removed from the highest ordinal down, and updated one at a time
// from the highest ordinal down to the partition (RollingUpdate).
import type { WorkloadEvent } from './deployment.ts';
import { isAvailable, isReady, podFromTemplate, type Pod, type StatefulSet } from './objects.ts';
import { templateHash } from './template-hash.ts';

export const REVISION_LABEL = 'controller-revision-hash';
export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

export type StatefulSetStatus = NonNullable<StatefulSet['status']>;

export interface StatefulSetPlan {
  create: Pod[];
  delete: Pod[];
  status: StatefulSetStatus;
  events: WorkloadEvent[];
  requeueAfterMs?: number;
}

const terminating = (p: Pod): boolean => Boolean(p.metadata?.deletionTimestamp);
const finished = (p: Pod): boolean => p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded';
const healthy = (p: Pod): boolean => !terminating(p) && p.status?.phase === 'Running' && isReady(p);

export function updateRevision(sts: StatefulSet): string {
  return `${sts.metadata?.name}-${templateHash(sts.spec?.template, sts.status?.collisionCount)}`;
}

function newPod(sts: StatefulSet, ordinal: number, revision: string): Pod {
  const name = `${sts.metadata?.name}-${ordinal}`;
  const pod = podFromTemplate(sts.spec?.template, { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: sts.metadata }, { name }, {
    [REVISION_LABEL]: revision, [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal),
  });
  pod.spec!.hostname = name;
  if (sts.spec?.serviceName) pod.spec!.subdomain = sts.spec.serviceName;
  return pod;
}

export function planStatefulSet(sts: StatefulSet, owned: readonly Pod[], now: number): StatefulSetPlan {
  const name = sts.metadata?.name ?? '';
  const replicas = sts.spec?.replicas ?? 1;
  const start = sts.spec?.ordinals?.start ?? 0;
  const ordered = (sts.spec?.podManagementPolicy ?? 'OrderedReady') === 'OrderedReady';
  const update = updateRevision(sts);
  const current = sts.status?.currentRevision ?? update;
  const byOrdinal = new Map<number, Pod>();
  for (const p of owned) {
    const m = new RegExp(`^${name.replace(/[.]/g, '\\.')}-(\\d+)$`).exec(p.metadata?.name ?? '');
    if (m) byOrdinal.set(Number(m[1]), p);
  }
  const plan: StatefulSetPlan = { create: [], delete: [], status: { replicas: 0 }, events: [] };
  const create = (ordinal: number): void => {
    const pod = newPod(sts, ordinal, update);
    plan.create.push(pod);
    plan.events.push({ type: 'Normal', reason: 'SuccessfulCreate', message: `create Pod ${pod.metadata!.name} in StatefulSet ${name} successful` });
  };
  const remove = (pod: Pod): void => {
    plan.delete.push(pod);
    plan.events.push({ type: 'Normal', reason: 'SuccessfulDelete', message: `delete Pod ${pod.metadata!.name} in StatefulSet ${name} successful` });
  };
  const wanted = Array.from({ length: replicas }, (_, i) => start + i);
  let blocked = false;
  if (!sts.metadata?.deletionTimestamp) {
    for (const ordinal of wanted) {
      const pod = byOrdinal.get(ordinal);
      if (!pod) create(ordinal);
      else if (finished(pod) && !terminating(pod)) remove(pod);
      if (ordered && (!pod || !healthy(pod))) {
        blocked = true;
        break;
      }
    }
  }
  const condemned = [...byOrdinal].filter(([o]) => !wanted.includes(o)).sort(([a], [b]) => b - a).map(([, p]) => p);
  const anyTerminating = [...byOrdinal.values()].some(terminating);
  if (!ordered) for (const pod of condemned) if (!terminating(pod)) remove(pod);
  if (ordered && !blocked && !anyTerminating && condemned[0]) remove(condemned[0]);
  // Rolling update: once every pod is there and healthy, replace the highest one at an old revision.
  const strategy = sts.spec?.updateStrategy;
  if ((strategy?.type ?? 'RollingUpdate') === 'RollingUpdate' && !blocked && condemned.length === 0 && !anyTerminating && plan.create.length === 0 && plan.delete.length === 0) {
    const partition = strategy?.rollingUpdate?.partition ?? 0;
    const stale = wanted.filter((o) => o - start >= partition).reverse().map((o) => byOrdinal.get(o)!).find((p) => p.metadata?.labels?.[REVISION_LABEL] !== update);
    if (stale && wanted.every((o) => healthy(byOrdinal.get(o)!))) remove(stale);
  }

  const live = [...byOrdinal.values()].filter((p) => !terminating(p));
  const minReady = sts.spec?.minReadySeconds ?? 0;
  const revisionCount = (rev: string): number => live.filter((p) => p.metadata?.labels?.[REVISION_LABEL] === rev).length;
  const status: StatefulSetStatus = {
    observedGeneration: sts.metadata?.generation ?? 0,
    replicas: live.length,
    readyReplicas: live.filter(healthy).length,
    availableReplicas: live.filter((p) => healthy(p) && isAvailable(p, minReady, now)).length,
    currentReplicas: revisionCount(current),
    updatedReplicas: revisionCount(update),
    currentRevision: current,
    updateRevision: update,
    collisionCount: sts.status?.collisionCount ?? 0,
  };
  if ((strategy?.type ?? 'RollingUpdate') === 'RollingUpdate' && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
    status.currentRevision = update;
    status.currentReplicas = status.updatedReplicas;
  }
  plan.status = status;
  if (minReady > 0 && status.availableReplicas! < status.readyReplicas!) plan.requeueAfterMs = minReady * 1000;
  return plan;
}

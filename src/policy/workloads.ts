// Which workload a pod belongs to, found through ownerReferences: a ReplicaSet's pods belong to
// its Deployment when it has one, a StatefulSet's and a Job's to them. Profiles and workload
// labels are matched against that workload's own labels, as CCE does. The index keeps only a
// small projection of each object (kind, name, uid, labels, controller): a cluster's ReplicaSets,
// full, would cost megabytes of pod templates.
import type { Pod } from '../kube/wire.ts';

export interface WorkloadKind {
  kind: string;
  /** Cluster-wide collection path. */
  path: string;
}

export const WORKLOAD_KINDS: readonly WorkloadKind[] = [
  { kind: 'Deployment', path: '/apis/apps/v1/deployments' },
  { kind: 'ReplicaSet', path: '/apis/apps/v1/replicasets' },
  { kind: 'StatefulSet', path: '/apis/apps/v1/statefulsets' },
  { kind: 'Job', path: '/apis/batch/v1/jobs' },
];

export interface OwnerRef {
  kind: string;
  name: string;
  uid: string;
}

export interface WorkloadRecord {
  kind: string;
  namespace: string;
  name: string;
  uid: string;
  labels: Record<string, string> | undefined;
  owner: OwnerRef | undefined;
  /** spec.replicas and status.readyReplicas, where the kind has them (rebalancing reads them). */
  replicas: number | undefined;
  readyReplicas: number | undefined;
  metadata: { name: string; namespace: string; resourceVersion?: string };
}

interface RawObject {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    ownerReferences?: { kind?: string; name?: string; uid?: string; controller?: boolean }[];
  };
  spec?: { replicas?: number };
  status?: { readyReplicas?: number };
}

export function controllerOf(obj: RawObject | Pod): OwnerRef | undefined {
  const ref = obj.metadata?.ownerReferences?.find((o) => o.controller === true);
  return ref?.kind && ref.name && ref.uid ? { kind: ref.kind, name: ref.name, uid: ref.uid } : undefined;
}

/** The projection kept of one workload object. */
export function projectWorkload(kind: string, obj: RawObject): WorkloadRecord {
  const m = obj.metadata ?? {};
  return {
    kind,
    namespace: m.namespace ?? '',
    name: m.name ?? '',
    uid: m.uid ?? '',
    labels: m.labels,
    owner: controllerOf(obj),
    replicas: obj.spec?.replicas,
    readyReplicas: obj.status?.readyReplicas,
    metadata: { name: m.name ?? '', namespace: m.namespace ?? '', ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}) },
  };
}

/** The top workload, a request for a record the index lacks, or "none" (no owner, or one the policy leaves alone). */
export type Resolution =
  | { workload: WorkloadRecord | (OwnerRef & { namespace: string; labels: undefined }) }
  | { missing: OwnerRef & { namespace: string } }
  | { none: 'no-owner' | 'daemonset' };

export type Resolved = Exclude<Resolution, { missing: unknown }>;

const INDEXED = new Set(WORKLOAD_KINDS.map((k) => k.kind));

/**
 * Walks from the pod's controller to its top workload with `lookup` (by uid). Kinds the index
 * does not keep (a custom controller) are the workload themselves, with no labels.
 */
export function resolveWorkload(pod: Pod, lookup: (uid: string) => WorkloadRecord | undefined): Resolution {
  const namespace = pod.metadata?.namespace ?? '';
  const owner = controllerOf(pod);
  if (!owner) return { none: 'no-owner' };
  if (owner.kind === 'DaemonSet') return { none: 'daemonset' };
  if (!INDEXED.has(owner.kind)) return { workload: { ...owner, namespace, labels: undefined } };
  const direct = lookup(owner.uid);
  if (!direct) return { missing: { ...owner, namespace } };
  const parent = direct.kind === 'ReplicaSet' && direct.owner?.kind === 'Deployment' ? direct.owner : undefined;
  if (!parent) return { workload: direct };
  const top = lookup(parent.uid);
  return top ? { workload: top } : { missing: { ...parent, namespace } };
}

/** The pod's workload by uid, from informers, with a fetch for what they have not shown yet. */
export class WorkloadIndex {
  readonly #byUid = new Map<string, WorkloadRecord>();
  /** Fetched on a miss: kept apart, because no watch event will ever remove them. */
  readonly #fetched = new Map<string, WorkloadRecord>();

  set(record: WorkloadRecord | undefined, previous: WorkloadRecord | undefined): void {
    if (previous) this.#byUid.delete(previous.uid);
    if (record) {
      this.#byUid.set(record.uid, record);
      this.#fetched.delete(record.uid);
    }
  }

  get(uid: string): WorkloadRecord | undefined {
    return this.#byUid.get(uid) ?? this.#fetched.get(uid);
  }

  all(): IterableIterator<WorkloadRecord> {
    return this.#byUid.values();
  }

  /**
   * Resolves the pod's workload; an object the informers have not delivered yet (a ReplicaSet
   * created a moment before its first pod) is fetched with `fetch`, at most twice per pod. What
   * cannot be fetched is the workload itself, with no labels known.
   */
  async resolve(pod: Pod, fetch: (ref: OwnerRef & { namespace: string }) => Promise<WorkloadRecord | undefined>): Promise<Resolved> {
    for (let attempt = 0; ; attempt++) {
      const r = resolveWorkload(pod, (uid) => this.get(uid));
      if (!('missing' in r)) return r;
      const got = attempt < 2 ? await fetch(r.missing).catch(() => undefined) : undefined;
      if (!got || got.uid !== r.missing.uid) return { workload: { ...r.missing, labels: undefined } };
      if (this.#fetched.size >= 1000) this.#fetched.clear();
      this.#fetched.set(got.uid, got);
    }
  }
}

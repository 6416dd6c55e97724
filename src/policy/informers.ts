// What the policy watches, each kept as a small projection of the object (a real cluster's
// ReplicaSets carry pod templates; its Nodes list every image they hold): namespaces' labels,
// ScheduleProfiles, the four workload kinds, and, on the leader, pods and nodes with the fields
// placement, counting and the scheduler's filters read.
import type { Logger } from '../log/logger.ts';
import { kubeSource, ListWatchCache, objectKey, type CachedObject, type ChangeHandler, type KubeApi, type ListWatchSource } from '../kube/list-watch-cache.ts';
import type { Node, Pod } from '../kube/wire.ts';
import { NETWORK_ANNOTATION } from './network-choice.ts';

/** A collection whose lists and watch events arrive already projected (bookmarks pass as they are). */
function projectedSource<T>(kube: KubeApi, path: string, project: (raw: never) => T): ListWatchSource<T> {
  const raw = kubeSource<never>(kube, path);
  return {
    async list() {
      const list = await raw.list();
      return { items: list.items.map(project), resourceVersion: list.resourceVersion };
    },
    watch: (resourceVersion, onEvent, signal) =>
      raw.watch(resourceVersion, (type, obj) => onEvent(type, type === 'BOOKMARK' ? (obj as T) : project(obj)), signal),
  };
}

export interface NamespaceView extends CachedObject {
  metadata: { name: string; resourceVersion?: string; labels?: Record<string, string> };
  /** The namespace's cci.io/network annotation: its burst pods' CCI Network. */
  network?: string;
}

export function projectNamespace(raw: { metadata?: { name?: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> } }): NamespaceView {
  const m = raw.metadata ?? {};
  const network = m.annotations?.[NETWORK_ANNOTATION];
  return {
    metadata: { name: m.name ?? '', ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}), ...(m.labels ? { labels: m.labels } : {}) },
    ...(network !== undefined ? { network } : {}),
  };
}

/** A pod with what the controllers and the scheduler's filters read; no env, volumes or commands. */
export function projectPod(raw: Pod): Pod {
  const m = raw.metadata ?? {};
  const s = raw.spec;
  const resources = (c: { name: string; resources?: unknown; restartPolicy?: string }) => ({
    name: c.name, image: '', ...(c.resources ? { resources: c.resources } : {}), ...(c.restartPolicy ? { restartPolicy: c.restartPolicy } : {}),
  });
  return {
    metadata: {
      name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp,
      ...(m.deletionTimestamp ? { deletionTimestamp: m.deletionTimestamp } : {}),
      ...(m.labels ? { labels: m.labels } : {}), ...(m.annotations ? { annotations: m.annotations } : {}),
      ...(m.ownerReferences ? { ownerReferences: m.ownerReferences } : {}),
    },
    spec: s
      ? {
        containers: s.containers?.map(resources) ?? [],
        ...(s.initContainers ? { initContainers: s.initContainers.map(resources) } : {}),
        ...(s.nodeName ? { nodeName: s.nodeName } : {}),
        ...(s.nodeSelector ? { nodeSelector: s.nodeSelector } : {}),
        ...(s.affinity ? { affinity: s.affinity } : {}),
        ...(s.tolerations ? { tolerations: s.tolerations } : {}),
        ...(s.schedulingGates ? { schedulingGates: s.schedulingGates } : {}),
        ...(s.overhead ? { overhead: s.overhead } : {}),
      }
      : undefined,
    status: { phase: raw.status?.phase, ...(raw.status?.conditions ? { conditions: raw.status.conditions.map((c) => ({ type: c.type, status: c.status })) } : {}) },
  } as Pod;
}

export function projectNode(raw: Node): Node {
  const m = raw.metadata ?? {};
  return {
    metadata: { name: m.name, resourceVersion: m.resourceVersion, ...(m.labels ? { labels: m.labels } : {}) },
    spec: { ...(raw.spec?.taints ? { taints: raw.spec.taints } : {}), ...(raw.spec?.unschedulable ? { unschedulable: true } : {}) },
    status: {
      ...(raw.status?.allocatable ? { allocatable: raw.status.allocatable } : {}),
      ...(raw.status?.capacity ? { capacity: raw.status.capacity } : {}),
      conditions: (raw.status?.conditions ?? []).map((c) => ({ type: c.type, status: c.status })),
    },
  } as Node;
}

/** A list-watch cache of a projection of `path`, keyed "namespace/name". */
export function projectedCache<T extends CachedObject>(
  kube: KubeApi, path: string, project: (raw: never) => T, onChange: ChangeHandler<T>, log: Logger,
): ListWatchCache<T> {
  return new ListWatchCache<T>({ source: projectedSource(kube, path, project), name: path, key: objectKey, onChange, log });
}

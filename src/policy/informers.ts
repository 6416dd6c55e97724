// What the policy watches, each kept as a small projection of the object (a real cluster's
// ReplicaSets carry pod templates; its Nodes list every image they hold): namespaces' labels,
// ScheduleProfiles, the four workload kinds, and, on the leader, pods and nodes with the fields
// placement, counting and the scheduler's filters read.
import type { Logger } from '../log/logger.ts';
import type { KubeClient, RequestOptions } from '../provider/kube/client.ts';
import { Reflector, type ChangeHandler, type KubeObject } from '../provider/kube/reflector.ts';
import type { Node, Pod } from '../provider/kube/wire.ts';

type ListWatchClient = Pick<KubeClient, 'request' | 'watch'>;

/** A client whose lists and watch events arrive already projected (bookmarks pass as they are). */
export function projecting<T>(kube: ListWatchClient, project: (raw: never) => T): ListWatchClient {
  return {
    request: (async (method: 'GET', path: string, opts?: RequestOptions) => {
      const list = await kube.request<{ metadata: unknown; items: never[] }>(method, path, opts);
      return { ...list, items: list.items.map(project) };
    }) as ListWatchClient['request'],
    watch: (path, query, onEvent, signal) => kube.watch<never>(path, query, (type, obj) => onEvent(type, (type === 'BOOKMARK' ? obj : project(obj)) as never), signal),
  };
}

export interface NamespaceView extends KubeObject {
  metadata: { name: string; resourceVersion?: string; labels?: Record<string, string> };
}

export function projectNamespace(raw: { metadata?: { name?: string; resourceVersion?: string; labels?: Record<string, string> } }): NamespaceView {
  const m = raw.metadata ?? {};
  return { metadata: { name: m.name ?? '', ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}), ...(m.labels ? { labels: m.labels } : {}) } };
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

/** A Reflector over a projection of `path`. */
export function projectedReflector<T extends KubeObject>(
  kube: ListWatchClient, path: string, project: (raw: never) => T, onChange: ChangeHandler<T>, log: Logger,
): Reflector<T> {
  return new Reflector<T>(projecting(kube, project), path, {}, onChange, log);
}

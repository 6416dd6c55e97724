// What the workload controllers read of pods and owners, as pure functions: wire types, which
// pods are active, ready and available, who controls an object, and the pod a template makes.
import type { V1Deployment, V1Job, V1ObjectMeta, V1OwnerReference, V1PodTemplateSpec, V1ReplicaSet, V1StatefulSet } from '@kubernetes/client-node';
import type { Pod, Wire } from '../../kube/wire.ts';
import { matchesLabels, selectorRequirements, type LabelSelectorObject } from '../apiserver/selectors.ts';

export type { Pod } from '../../kube/wire.ts';
export type Deployment = Wire<V1Deployment>;
export type ReplicaSet = Wire<V1ReplicaSet>;
export type StatefulSet = Wire<V1StatefulSet>;
export type Job = Wire<V1Job>;
export type PodTemplate = Wire<V1PodTemplateSpec>;
export type Meta = Wire<V1ObjectMeta>;
export type OwnerReference = Wire<V1OwnerReference>;

/** An object a controller owns pods for. */
export interface Owner {
  apiVersion?: string;
  kind?: string;
  metadata?: Meta;
}

/** Not finished and not being deleted: counts toward a controller's replicas (controller.IsPodActive). */
export function isActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}

export function isReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** When the pod last became ready, in ms since the epoch (undefined when not ready). */
export function readySince(pod: Pod): number | undefined {
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
  if (!ready) return undefined;
  return ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : 0;
}

/** Ready for at least minReadySeconds (podutil.IsPodAvailable). */
export function isAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  const since = readySince(pod);
  if (since === undefined) return false;
  return minReadySeconds === 0 || since + minReadySeconds * 1000 <= now;
}

export function controllerOf(meta: Meta | undefined): OwnerReference | undefined {
  return meta?.ownerReferences?.find((r) => r.controller === true);
}

/** Whether `owner` is the controller of the object with this metadata. */
export function controlledBy(meta: Meta | undefined, owner: Owner): boolean {
  const ref = controllerOf(meta);
  return ref !== undefined && ref.uid === owner.metadata?.uid;
}

export function selectorMatches(selector: LabelSelectorObject | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  try {
    return matchesLabels(selectorRequirements(selector), labels);
  } catch {
    return false;
  }
}

export function ownerReference(owner: Owner): OwnerReference {
  return {
    apiVersion: owner.apiVersion ?? '',
    kind: owner.kind ?? '',
    name: owner.metadata?.name ?? '',
    uid: owner.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The pod a controller creates from its template (controller.GetPodFromTemplate). */
export function podFromTemplate(template: PodTemplate | undefined, owner: Owner, name: { name: string } | { generateName: string }, extraLabels: Record<string, string> = {}): Pod {
  const meta = template?.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...name,
      namespace: owner.metadata?.namespace,
      labels: { ...meta.labels, ...extraLabels },
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
      ownerReferences: [ownerReference(owner)],
    },
    spec: structuredClone(template?.spec) ?? { containers: [] },
  };
}

export const byCreation = <T extends { metadata?: Meta }>(a: T, b: T): number =>
  (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? '') || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');

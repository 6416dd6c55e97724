// Pod-specific lifecycle rules: graceful deletion, binding and which terminating pods the
// server may remove itself. Pure decisions; the registry applies them.
import { isObject } from './patch.ts';
import type { KubeObject } from './store.ts';

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: string;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export function podNodeName(pod: KubeObject): string {
  return isObject(pod.spec) ? str(pod.spec.nodeName) : '';
}

/**
 * The grace period a pod deletion gets: the request's, else the pod's
 * terminationGracePeriodSeconds (default 30); 0 when no kubelet will ever confirm it (not
 * bound, bound to a node that does not exist, or already finished). A second deletion may
 * only shorten an earlier grace period.
 */
export function podDeletionGrace(pod: KubeObject, opts: DeleteOptions, nodeExists: boolean): number {
  const spec = isObject(pod.spec) ? pod.spec : {};
  const phase = isObject(pod.status) ? str(pod.status.phase) : '';
  let grace = opts.gracePeriodSeconds ?? (typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30);
  if (grace < 0) grace = 1;
  if (!podNodeName(pod) || !nodeExists || phase === 'Succeeded' || phase === 'Failed') grace = 0;
  const earlier = pod.metadata.deletionGracePeriodSeconds;
  if (pod.metadata.deletionTimestamp && typeof earlier === 'number') grace = Math.min(grace, earlier);
  return grace;
}

/** Whether an object marked for deletion can now leave storage (finalizers done; a pod also needs grace 0). */
export function readyToRemove(obj: KubeObject, isPod: boolean): boolean {
  if (!obj.metadata.deletionTimestamp) return false;
  if ((obj.metadata.finalizers ?? []).length > 0) return false;
  return !isPod || obj.metadata.deletionGracePeriodSeconds === 0;
}

/** Applies a Binding to a pod: sets spec.nodeName and the PodScheduled condition. */
export function bindPod(pod: KubeObject, nodeName: string, now: string): KubeObject {
  const status = isObject(pod.status) ? pod.status : {};
  const conditions = (Array.isArray(status.conditions) ? status.conditions : []).filter((c) => !(isObject(c) && c.type === 'PodScheduled'));
  conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now });
  return { ...pod, spec: { ...(isObject(pod.spec) ? pod.spec : {}), nodeName }, status: { ...status, conditions } };
}

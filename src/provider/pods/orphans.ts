// What to do about a Kubernetes pod and a backend pod that lost each other, as pure functions.
// A Kubernetes pod without its backend pod is created (again) only if it never ran — a pod that
// ran and lost its backend is Failed with ProviderPodMissing, never silently restarted
// elsewhere — and a backend pod whose Kubernetes pod is gone is deleted. Each pod gets one action.
import type { Pod } from '../../kube/wire.ts';

export const PROVIDER_POD_MISSING = 'ProviderPodMissing';

export type MissingAction = 'create' | 'fail' | 'none';

/** True once anything of the pod ran on the backend (the kubelet's view: a container started or finished). */
export function hasRun(pod: Pod): boolean {
  const s = pod.status;
  if (!s) return false;
  if (s.phase === 'Running' || s.podIP) return true;
  return [...(s.containerStatuses ?? []), ...(s.initContainerStatuses ?? [])].some((c) => c.state?.running || c.state?.terminated || (c.restartCount ?? 0) > 0);
}

/** The action for a Kubernetes pod whose backend pod does not exist. */
export function missingAction(pod: Pod): MissingAction {
  if (pod.metadata?.deletionTimestamp) return 'none';
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return 'none';
  return hasRun(pod) ? 'fail' : 'create';
}

export interface OrphanPlan {
  /** Backend pods whose Kubernetes pod no longer exists (or was replaced: new uid). */
  delete: Pod[];
  /** "namespace/name" of pods to create on the backend. */
  create: string[];
  /** "namespace/name" of pods to mark Failed (ProviderPodMissing). */
  fail: string[];
}

const keyOf = (pod: Pod): string => `${pod.metadata?.namespace}/${pod.metadata?.name}`;

/**
 * Compares the pods bound to this node with the pods the backend runs (a pod and its backend
 * pod share the uid); `busy` keys (a sync in flight) are skipped.
 */
export function planOrphans(pods: readonly Pod[], running: readonly Pod[], busy: ReadonlySet<string> = new Set()): OrphanPlan {
  const wanted = new Map<string, Pod>();
  for (const pod of pods) {
    const m = pod.metadata;
    if (m?.namespace && m.name && m.uid) wanted.set(m.uid, pod);
  }
  const present = new Set<string>();
  const plan: OrphanPlan = { delete: [], create: [], fail: [] };
  for (const backend of running) {
    const uid = backend.metadata?.uid;
    if (!uid) continue;
    present.add(uid);
    if (!wanted.has(uid) && !busy.has(keyOf(backend)) && !backend.metadata?.deletionTimestamp) plan.delete.push(backend);
  }
  for (const [uid, pod] of wanted) {
    const key = keyOf(pod);
    if (present.has(uid) || busy.has(key)) continue;
    const action = missingAction(pod);
    if (action === 'create') plan.create.push(key);
    else if (action === 'fail') plan.fail.push(key);
  }
  return plan;
}

// What to do about a Kubernetes pod and CCI pod that lost each other, as pure functions.
// A Kubernetes pod without its CCI pod is created (again) only if it never ran — a pod that
// ran and lost its backend is Failed with ProviderPodMissing, never silently restarted
// elsewhere — and a CCI pod whose Kubernetes pod is gone is deleted. Each pod gets one action.
import type { CciPod } from '../cci/types.ts';
import type { Pod } from '../kube/wire.ts';
import { cciPodName, ownerKey, ownerUID } from './naming.ts';

export const PROVIDER_POD_MISSING = 'ProviderPodMissing';

export type MissingAction = 'create' | 'fail' | 'none';

/** True once anything of the pod ran on CCI (the kubelet's view: a container started or finished). */
export function hasRun(pod: Pod): boolean {
  const s = pod.status;
  if (!s) return false;
  if (s.phase === 'Running' || s.podIP) return true;
  return [...(s.containerStatuses ?? []), ...(s.initContainerStatuses ?? [])].some((c) => c.state?.running || c.state?.terminated || (c.restartCount ?? 0) > 0);
}

/** The action for a Kubernetes pod whose CCI pod does not exist. */
export function missingAction(pod: Pod): MissingAction {
  if (pod.metadata?.deletionTimestamp) return 'none';
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return 'none';
  return hasRun(pod) ? 'fail' : 'create';
}

export interface OrphanPlan {
  /** CCI pod names burstlet created for pods that no longer exist (or were replaced: new uid). */
  deleteCci: string[];
  /** "namespace/name" of pods to create on CCI. */
  create: string[];
  /** "namespace/name" of pods to mark Failed (ProviderPodMissing). */
  fail: string[];
}

/**
 * Compares the pods bound to this node with the CCI pods. CCI pods without burstlet's
 * annotations are someone else's and left alone; `busy` keys (a sync in flight) are skipped.
 */
export function planOrphans(pods: readonly Pod[], cciPods: readonly CciPod[], busy: ReadonlySet<string> = new Set()): OrphanPlan {
  const wanted = new Map<string, Pod>();
  for (const pod of pods) {
    const m = pod.metadata;
    if (m?.namespace && m.name && m.uid) wanted.set(cciPodName(m.namespace, m.name, m.uid), pod);
  }
  const present = new Set<string>();
  const plan: OrphanPlan = { deleteCci: [], create: [], fail: [] };
  for (const cci of cciPods) {
    present.add(cci.metadata.name);
    const key = ownerKey(cci);
    if (key === undefined || ownerUID(cci) === undefined) continue;
    if (!wanted.has(cci.metadata.name) && !busy.has(key) && !cci.metadata.deletionTimestamp) plan.deleteCci.push(cci.metadata.name);
  }
  for (const [name, pod] of wanted) {
    const key = `${pod.metadata!.namespace}/${pod.metadata!.name}`;
    if (present.has(name) || busy.has(key)) continue;
    const action = missingAction(pod);
    if (action === 'create') plan.create.push(key);
    else if (action === 'fail') plan.fail.push(key);
  }
  return plan;
}

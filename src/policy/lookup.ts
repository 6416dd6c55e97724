// A pod's policy as it stands: its workload found through ownerReferences, then the sources in
// order (policy.ts). The webhook asks at admission; the leader asks again for pods the webhook
// never saw.
import type { Pod } from '../kube/wire.ts';
import type { Taint } from './mutation.ts';
import { resolvePolicy, type ProfileTerms, type Resolution } from './policy.ts';
import type { Resolved } from './workloads.ts';

/** What deciding a pod's policy reads: informers' caches, and a fetch for a workload not yet seen. */
export interface PolicyLookup {
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined;
  /** The namespace's cci.io/network annotation. */
  namespaceNetwork(namespace: string): string | undefined;
  governingProfile(namespace: string, workloadLabels: Readonly<Record<string, string>> | undefined): ProfileTerms | undefined;
  resolveWorkload(pod: Pod): Promise<Resolved>;
  /** The virtual nodes' taints, which a pod allowed to burst must tolerate. */
  taints: readonly Taint[];
}

/** The policy the pod asks for now, or why none applies ("daemonset": left alone). */
export async function policyFor(pod: Pod, namespace: string, ctx: PolicyLookup): Promise<Resolution | 'daemonset'> {
  const owner = await ctx.resolveWorkload(pod);
  if ('none' in owner && owner.none === 'daemonset') return 'daemonset';
  const workload = 'workload' in owner ? { ...owner.workload, namespace } : undefined;
  return resolvePolicy({
    podLabels: pod.metadata?.labels,
    workload,
    namespaceLabels: ctx.namespaceLabels(namespace),
    profile: workload ? ctx.governingProfile(namespace, workload.labels) : undefined,
  });
}


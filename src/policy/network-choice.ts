// Which CCI Network (subnet) a burst pod takes its IP from, when the pod itself does not say (its
// cci.io/network annotation, which burstlet copies to its CCI pod): its workload's ScheduleProfile
// (location.cci.network), else its namespace's cci.io/network annotation. The webhook writes the
// choice on the pod as the annotation, so it shows and the translation reads one place. Pure.
import { CCI_NETWORK_ANNOTATION } from '../cci/types.ts';
import type { Pod } from '../kube/wire.ts';
import type { ProfileTerms } from './policy.ts';

export { CCI_NETWORK_ANNOTATION as NETWORK_ANNOTATION };

export function chooseNetwork(pod: Pod, profile: ProfileTerms | undefined, namespaceNetwork: string | undefined): string | undefined {
  if (pod.metadata?.annotations?.[CCI_NETWORK_ANNOTATION] !== undefined) return undefined;
  return profile?.network ?? namespaceNetwork;
}

/** The pod with its Network chosen, as the webhook's patch writes it. */
export function withNetwork(pod: Pod, network: string): Pod {
  return { ...pod, metadata: { ...pod.metadata, annotations: { ...pod.metadata?.annotations, [CCI_NETWORK_ANNOTATION]: network } } };
}

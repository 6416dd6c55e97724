// The pod's QoS class, computed exactly as the kubelet's GetPodQOS does (cpu and memory only).
import { parseQuantity } from '../../kube/quantity.ts';
import type { Pod } from '../../kube/wire.ts';

export type QOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const QOS_RESOURCES = ['cpu', 'memory'] as const;

export function qosClass(pod: Pod): QOSClass {
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  let anySet = false;
  let guaranteed = true;
  for (const c of containers) {
    const requests = (c.resources?.requests ?? {}) as Record<string, string>;
    const limits = (c.resources?.limits ?? {}) as Record<string, string>;
    for (const r of QOS_RESOURCES) {
      const req = requests[r];
      const lim = limits[r];
      if ((req !== undefined && parseQuantity(req).milli !== 0n) || (lim !== undefined && parseQuantity(lim).milli !== 0n)) anySet = true;
      // A request left unset defaults to the limit; both are needed and must match.
      if (lim === undefined || (req !== undefined && parseQuantity(req).milli !== parseQuantity(lim).milli)) guaranteed = false;
    }
  }
  if (!anySet) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

// The pod's QoS class, computed exactly as the kubelet's GetPodQOS does (cpu and memory only).
import { parseQuantity, QuantityError } from '../../kube/quantity.ts';
import type { Pod } from '../../kube/wire.ts';

export type QOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const QOS_RESOURCES = ['cpu', 'memory'] as const;

/**
 * A quantity's milli-value, or undefined when it is none: the API server refuses such pods, but
 * a status for a pod refused over one must still be written (it threw here, and Failed never was).
 */
function milli(q: string | undefined): bigint | undefined {
  if (q === undefined) return undefined;
  try {
    return parseQuantity(String(q)).milli;
  } catch (err) {
    if (err instanceof QuantityError) return undefined;
    throw err;
  }
}

export function qosClass(pod: Pod): QOSClass {
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  let anySet = false;
  let guaranteed = true;
  for (const c of containers) {
    const requests = (c.resources?.requests ?? {}) as Record<string, string>;
    const limits = (c.resources?.limits ?? {}) as Record<string, string>;
    for (const r of QOS_RESOURCES) {
      const req = milli(requests[r]);
      const lim = milli(limits[r]);
      if ((req !== undefined && req !== 0n) || (lim !== undefined && lim !== 0n)) anySet = true;
      // A request left unset defaults to the limit; both are needed and must match.
      if (lim === undefined || (req !== undefined && req !== lim)) guaranteed = false;
    }
  }
  if (!anySet) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

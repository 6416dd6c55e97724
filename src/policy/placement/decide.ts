// Where a gated pod goes, as a pure function of its policy, its workload's pods already local
// and whether a cluster node fits it; and the patch that carries the choice out. While a pod is
// gated the API server lets its node affinity be narrowed (terms may gain expressions) and its
// gates be removed: narrowing to cluster nodes or to virtual nodes, then ungating, hands a
// settled choice to the real scheduler.
import type { V1Affinity } from '@kubernetes/client-node';
import type { Pod } from '../../kube/wire.ts';
import { PLACEMENT_GATE, requirementFor, withRequired } from '../mutation.ts';
import type { Policy } from '../policy.ts';

/** The placement controller's choice, recorded on the pod. */
export const PLACEMENT_ANNOTATION = 'bursting.cci.io/placement';

/** local: cluster nodes only; cci: virtual nodes only; either: the scheduler's scores decide (auto under its maxNum). */
export type Placement = 'local' | 'cci' | 'either';

export interface PlacementInputs {
  policy: Policy;
  maxLocal: number | undefined;
  /** The workload's pods on cluster nodes or headed there (bound, placed, or reserved). */
  localCount: number;
  /** A cluster node fits the pod now, or why none does. */
  fit: { node: string } | { unschedulable: string };
}

export interface PlacementChoice {
  placement: Placement;
  /** For the event: why. */
  reason: string;
}

export function decidePlacement(i: PlacementInputs): PlacementChoice {
  const limit = i.maxLocal === undefined ? '' : ` (${i.localCount} of at most ${i.maxLocal} local)`;
  const full = i.maxLocal !== undefined && i.localCount >= i.maxLocal;
  if (i.policy === 'auto') {
    return full ? { placement: 'cci', reason: `maxNum reached${limit}` } : { placement: 'either', reason: `within maxNum${limit}; the scheduler's scores decide` };
  }
  if (i.policy === 'localPrefer') {
    if (full) return { placement: 'cci', reason: `maxNum reached${limit}` };
    if ('node' in i.fit) return { placement: 'local', reason: `a cluster node fits (${i.fit.node})${limit}` };
    return { placement: 'cci', reason: `no cluster node fits: ${i.fit.unschedulable}` };
  }
  // Gates are only added for localPrefer and auto; a pod with another policy is simply released.
  return i.policy === 'enforce' ? { placement: 'cci', reason: 'policy enforce' } : { placement: 'local', reason: 'policy off' };
}

/**
 * A JSON merge patch that records the choice, narrows the node affinity accordingly and removes
 * burstlet's gate (other gates stay). It carries the resourceVersion the choice was made on: a
 * pod changed meanwhile is not patched (409) and is decided again.
 */
export function placementPatch(pod: Pod, placement: Placement): Record<string, unknown> {
  const gates = (pod.spec?.schedulingGates ?? []).filter((g) => g.name !== PLACEMENT_GATE);
  const affinity = placement === 'either' ? undefined : withRequired(pod.spec?.affinity as V1Affinity | undefined, requirementFor(placement));
  return {
    metadata: { resourceVersion: pod.metadata?.resourceVersion, annotations: { [PLACEMENT_ANNOTATION]: placement } },
    spec: {
      schedulingGates: gates.length > 0 ? gates : null,
      ...(affinity ? { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: affinity.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution } } } : {}),
    },
  };
}

export function isGatedByUs(pod: Pod): boolean {
  return !pod.spec?.nodeName && (pod.spec?.schedulingGates ?? []).some((g) => g.name === PLACEMENT_GATE);
}

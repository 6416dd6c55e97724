// The CCI pod behind a Kubernetes pod: its name is derived from namespace, name and uid, so a
// recreated pod of the same name (a StatefulSet replica) never collides with its predecessor,
// and creation is idempotent per uid.
import { createHash } from 'node:crypto';
import { annotations, ownerLabels } from '../cci/types.ts';
import type { CciPodState } from '../cci/types.ts';

/** A DNS-1123 label (≤ 63 characters): "<ns>-<name>" trimmed, then 10 hex digits of a hash of namespace/name/uid. */
export function cciPodName(namespace: string, name: string, uid: string): string {
  const hash = createHash('sha256').update(`${namespace}/${name}/${uid}`).digest('hex').slice(0, 10);
  const base = `${namespace}-${name}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 52).replace(/-+$/, '');
  return `${base}-${hash}`;
}

/** The names already derived, per pod metadata object: a pod's CCI pod is looked up on every sync and kubelet request. */
const derived = new WeakMap<object, string>();

/** cciPodName of a Kubernetes pod (remembered for its metadata object, which the informer shares between syncs). */
export function cciPodNameOf(pod: { metadata?: { namespace?: string; name?: string; uid?: string } }): string {
  const m = pod.metadata ?? {};
  let name = derived.get(m);
  if (name === undefined) {
    name = cciPodName(m.namespace ?? '', m.name ?? '', m.uid ?? '');
    derived.set(m, name);
  }
  return name;
}

/** "namespace/name" of the Kubernetes pod a CCI pod belongs to, if burstlet created it. */
export function ownerKey(pod: CciPodState): string | undefined {
  return pod.metadata.annotations?.[annotations.podKey];
}

export function ownerUID(pod: CciPodState): string | undefined {
  return pod.metadata.annotations?.[annotations.podUID];
}

/** Who owns the CCI pods a virtual node creates: its cluster's identity and its own name. */
export interface CciOwner {
  clusterId: string;
  nodeName: string;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A label value for `raw`: itself when it is one (at most 63 characters), else a hash of it. */
function labelValue(raw: string): string {
  if (raw.length <= 63 && LABEL_VALUE.test(raw)) return raw;
  return `h-${createHash('sha256').update(raw).digest('hex').slice(0, 40)}`;
}

/** The ownership labels of the CCI pods `owner` creates. */
export function ownershipLabels(owner: CciOwner): Record<string, string> {
  return { [ownerLabels.cluster]: labelValue(owner.clusterId), [ownerLabels.node]: labelValue(owner.nodeName) };
}

/** Whether `owner` created this CCI pod: both labels match (an unlabelled pod is nobody's to sweep). */
export function ownedBy(pod: CciPodState, owner: CciOwner): boolean {
  const want = ownershipLabels(owner);
  const labels = pod.metadata.labels ?? {};
  return labels[ownerLabels.cluster] === want[ownerLabels.cluster] && labels[ownerLabels.node] === want[ownerLabels.node];
}

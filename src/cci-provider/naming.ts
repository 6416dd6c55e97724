// The CCI pod behind a Kubernetes pod: its name is derived from namespace, name and uid, so a
// recreated pod of the same name (a StatefulSet replica) never collides with its predecessor,
// and creation is idempotent per uid.
import { createHash } from 'node:crypto';
import { annotations } from '../cci/types.ts';
import type { CciPod } from '../cci/types.ts';

/** A DNS-1123 label (≤ 63 characters): "<ns>-<name>" trimmed, then 10 hex digits of a hash of namespace/name/uid. */
export function cciPodName(namespace: string, name: string, uid: string): string {
  const hash = createHash('sha256').update(`${namespace}/${name}/${uid}`).digest('hex').slice(0, 10);
  const base = `${namespace}-${name}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 52).replace(/-+$/, '');
  return `${base}-${hash}`;
}

/** "namespace/name" of the Kubernetes pod a CCI pod belongs to, if burstlet created it. */
export function ownerKey(pod: CciPod): string | undefined {
  return pod.metadata.annotations?.[annotations.podKey];
}

export function ownerUID(pod: CciPod): string | undefined {
  return pod.metadata.annotations?.[annotations.podUID];
}

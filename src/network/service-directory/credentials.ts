// Per-pod sidecar credentials: an HMAC of the pod's uid under a secret only burstlet holds. A
// credential is a key the sidecar proves it holds (directory-auth.ts), never sent on the wire.
// burstlet needs no table of issued credentials, a credential names exactly one pod, and a
// deleted pod's credential stops working because burstlet also checks the pod is still its own.
import { createHmac, randomBytes } from 'node:crypto';

/** Domain separation: this secret's HMACs mean "sidecar of pod <uid>" and nothing else. */
const CONTEXT = 'burstlet-sidecar-credential/v1:';

export function newNodeSecret(): Buffer {
  return randomBytes(32);
}

export function podCredential(secret: Buffer, podUid: string): string {
  return createHmac('sha256', secret).update(CONTEXT + podUid).digest('base64url');
}

/** The credential of a pod that is (still) a burst pod here, else undefined: what a sidecar's proof is checked against. */
export type CredentialLookup = (podUid: string) => string | undefined;

export function activePodCredentials(secret: Buffer, isActivePod: (podUid: string) => boolean): CredentialLookup {
  return (podUid) => (podUid !== '' && isActivePod(podUid) ? podCredential(secret, podUid) : undefined);
}

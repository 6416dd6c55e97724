// Per-pod sidecar credentials: an HMAC of the pod's uid under a secret only burstlet holds.
// burstlet needs no table of issued credentials, a credential names exactly one pod, and a
// deleted pod's credential stops working because burstlet also checks the pod is still its own.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Domain separation: this secret's HMACs mean "sidecar of pod <uid>" and nothing else. */
const CONTEXT = 'burstlet-sidecar-credential/v1:';

export function newNodeSecret(): Buffer {
  return randomBytes(32);
}

export function podCredential(secret: Buffer, podUid: string): string {
  return createHmac('sha256', secret).update(CONTEXT + podUid).digest('base64url');
}

export function credentialMatches(secret: Buffer, podUid: string, credential: string): boolean {
  if (podUid === '') return false;
  const expected = Buffer.from(podCredential(secret, podUid));
  const given = Buffer.from(credential);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export type Authenticate = (podUid: string, credential: string) => boolean;

/** Accepts a sidecar when its credential is that pod's and the pod is (still) a burst pod here. */
export function podCredentialAuthenticator(secret: Buffer, isActivePod: (podUid: string) => boolean): Authenticate {
  return (podUid, credential) => credentialMatches(secret, podUid, credential) && isActivePod(podUid);
}

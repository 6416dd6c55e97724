// How a sidecar and burstlet prove themselves to each other on the directory's WebSocket, and
// how each message is sealed. The pod's credential is a key both ends hold and never sends:
//  - the upgrade request carries a fresh client nonce and an HMAC proof over it, the pod uid and
//    the resume point (a wrong or other pod's credential cannot make one);
//  - the 101 response carries a server nonce; both ends derive a session key from the credential
//    and both nonces, so a replayed or spliced stream fails the client's check;
//  - every server message is HMAC-SHA256(session key, sequence number ‖ payload) ‖ payload.
// That gives mutual authentication, integrity and replay protection without TLS, which is what
// lets the directory run on a plain listener at a fraction of TLS's memory per sidecar (README,
// "Service directory transport"). What it does not give is secrecy: the directory's contents
// (Service names, ClusterIPs, endpoint IPs) are readable on the wire, as cluster DNS answers are.
import { createHmac, randomBytes, timingSafeEqual, type Hmac } from 'node:crypto';

export const MAC_BYTES = 32;
const NONCE_BYTES = 16;
const NONCE_PATTERN = /^[A-Za-z0-9_-]{22}$/;
/** Domain separation: a proof can never be taken for a session key or a message MAC, or back. */
const PROOF_CONTEXT = 'burstlet-directory-proof/v1';
const SESSION_CONTEXT = 'burstlet-directory-session/v1';

/** The authorization scheme of the upgrade request: `Authorization: Burstlet-Directory <proof>`. */
export const PROOF_SCHEME = 'Burstlet-Directory';

export function newNonce(): string {
  return randomBytes(NONCE_BYTES).toString('base64url');
}

export function isNonce(value: string): boolean {
  return NONCE_PATTERN.test(value);
}

/** HMAC over length-prefixed fields, so that no two field lists hash the same bytes. */
function keyed(credential: string, context: string, fields: readonly string[]): Hmac {
  const mac = createHmac('sha256', Buffer.from(credential, 'base64url'));
  const length = Buffer.alloc(4);
  for (const field of [context, ...fields]) {
    const bytes = Buffer.from(field);
    length.writeUInt32BE(bytes.length);
    mac.update(length).update(bytes);
  }
  return mac;
}

export interface UpgradeFields {
  podUid: string;
  clientNonce: string;
  /** The resume point header's value, '' when there is none. */
  resumeFrom: string;
}

/** The sidecar's proof that it holds the pod's credential, for this request only. */
export function upgradeProof(credential: string, f: UpgradeFields): string {
  return keyed(credential, PROOF_CONTEXT, [f.podUid, f.clientNonce, f.resumeFrom]).digest('base64url');
}

export function proofMatches(credential: string, f: UpgradeFields, proof: string): boolean {
  const expected = Buffer.from(upgradeProof(credential, f));
  const given = Buffer.from(proof);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function sessionKey(credential: string, f: { podUid: string; clientNonce: string; serverNonce: string }): Buffer {
  return keyed(credential, SESSION_CONTEXT, [f.podUid, f.clientNonce, f.serverNonce]).digest();
}

function messageMac(key: Buffer, sequence: number, payload: Buffer): Buffer {
  const seq = Buffer.alloc(8);
  seq.writeBigUInt64BE(BigInt(sequence));
  return createHmac('sha256', key).update(seq).update(payload).digest();
}

/** The server's end: the MAC to send in front of each message, in order. */
export class MessageSealer {
  readonly #key: Buffer;
  #sequence = 0;
  constructor(key: Buffer) {
    this.#key = key;
  }

  seal(payload: Buffer): Buffer {
    return messageMac(this.#key, this.#sequence++, payload);
  }
}

/** The sidecar's end: checks each message in order and returns its payload; throws on any mismatch. */
export class MessageOpener {
  readonly #key: Buffer;
  #sequence = 0;
  constructor(key: Buffer) {
    this.#key = key;
  }

  open(message: Buffer): Buffer {
    if (message.length < MAC_BYTES) throw new Error('directory message shorter than its MAC');
    const payload = message.subarray(MAC_BYTES);
    const expected = messageMac(this.#key, this.#sequence, payload);
    if (!timingSafeEqual(expected, message.subarray(0, MAC_BYTES))) {
      throw new Error('directory message failed authentication (tampered, replayed, or not from this node\'s burstlet)');
    }
    this.#sequence++;
    return payload;
  }
}

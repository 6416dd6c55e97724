// Authentication (x509 client certs from the local CA, bearer tokens minted by the PKI) and a
// simple authorization policy: system:masters may do anything; everyone else is allowed
// unless a deny rule matches (tests use deny rules to exercise 403 paths). Anonymous → 401.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { LocalPki, UserInfo } from '../pki.ts';
import { isObject, type JsonObject } from './patch.ts';

export interface AuthzAttributes {
  verb: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** A deny rule: every field that is set must match ("*" or unset matches anything). */
export interface DenyRule {
  user?: string;
  group?: string;
  verb?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export const MASTERS = 'system:masters';

function subjectField(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  return typeof v === 'string' ? [v] : [];
}

export function createAuthenticator(pki: LocalPki): (req: IncomingMessage) => UserInfo | null {
  // A connection's client certificate never changes: decode it once per socket.
  const byCert = new WeakMap<TLSSocket, UserInfo | null>();
  const fromCert = (socket: TLSSocket): UserInfo | null => {
    if (!socket.authorized) return null;
    let user = byCert.get(socket);
    if (user === undefined) {
      const subject = socket.getPeerCertificate().subject as unknown as Record<string, unknown> | undefined;
      const cn = subjectField(subject?.CN)[0];
      user = cn ? { username: cn, groups: [...subjectField(subject?.O), 'system:authenticated'] } : null;
      byCert.set(socket, user);
    }
    return user;
  };
  return (req) => {
    const certUser = fromCert(req.socket as TLSSocket);
    if (certUser) return certUser;
    const header = req.headers.authorization;
    if (typeof header === 'string' && header.startsWith('Bearer ')) {
      const user = pki.verifyToken(header.slice('Bearer '.length).trim());
      if (user) return { username: user.username, groups: [...user.groups.filter((g) => g !== 'system:authenticated'), 'system:authenticated'] };
    }
    return null;
  };
}

export class Policy {
  private readonly rules: DenyRule[] = [];

  constructor(rules: DenyRule[] = []) {
    this.rules.push(...rules);
  }

  deny(rule: DenyRule): void {
    this.rules.push(rule);
  }

  clear(): void {
    this.rules.length = 0;
  }

  /** Why a request is denied, or undefined when it is allowed. */
  denial(user: UserInfo, attrs: AuthzAttributes): string | undefined {
    if (user.groups.includes(MASTERS)) return undefined;
    const m = (want: string | undefined, have: string | undefined): boolean => want === undefined || want === '*' || want === (have ?? '');
    const rule = this.rules.find(
      (r) =>
        m(r.user, user.username) &&
        (r.group === undefined || user.groups.includes(r.group)) &&
        m(r.verb, attrs.verb) &&
        m(r.resource, attrs.resource) &&
        m(r.subresource, attrs.subresource) &&
        m(r.namespace, attrs.namespace) &&
        m(r.name, attrs.name),
    );
    return rule ? `denied by the local policy rule ${JSON.stringify(rule)}` : undefined;
  }

  allows(user: UserInfo, attrs: AuthzAttributes): boolean {
    return this.denial(user, attrs) === undefined;
  }
}

const o = (v: unknown): JsonObject => (isObject(v) ? v : {});
const s = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Answers a TokenReview (authentication.k8s.io/v1). */
export function reviewToken(pki: LocalPki, review: JsonObject): JsonObject {
  const token = s(o(review.spec).token) ?? '';
  const user = pki.verifyToken(token);
  const status = user
    ? { authenticated: true, user: { username: user.username, groups: [...user.groups, 'system:authenticated'] }, audiences: o(review.spec).audiences ?? [] }
    : { authenticated: false, error: 'token not recognized by the local control plane' };
  return { ...review, apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', metadata: { ...o(review.metadata), creationTimestamp: null }, status };
}

/** Answers a SubjectAccessReview, or a SelfSubjectAccessReview for `self`. */
export function reviewAccess(policy: Policy, review: JsonObject, self?: UserInfo): JsonObject {
  const spec = o(review.spec);
  const user: UserInfo = self ?? { username: s(spec.user) ?? '', groups: Array.isArray(spec.groups) ? spec.groups.map(String) : [] };
  const ra = o(spec.resourceAttributes);
  const na = o(spec.nonResourceAttributes);
  const attrs: AuthzAttributes = isObject(spec.resourceAttributes)
    ? { verb: s(ra.verb) ?? '', resource: s(ra.resource) ?? '', subresource: s(ra.subresource), namespace: s(ra.namespace), name: s(ra.name) }
    : { verb: s(na.verb) ?? '', resource: s(na.path) ?? '' };
  const why = policy.denial(user, attrs);
  const status = why === undefined ? { allowed: true, reason: user.groups.includes(MASTERS) ? 'system:masters' : 'allowed by the local policy' } : { allowed: false, denied: true, reason: why };
  return { ...review, kind: self ? 'SelfSubjectAccessReview' : 'SubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: { ...o(review.metadata), creationTimestamp: null }, status };
}

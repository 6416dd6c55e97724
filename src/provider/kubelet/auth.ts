// Authentication and authorization of kubelet API requests, as the kubelet does them: x509
// client certificates from --client-ca-file, bearer tokens through TokenReview (with
// --authentication-token-webhook), anonymous only when enabled, and every request authorized
// by SubjectAccessReview. Answers are cached briefly (kubelet defaults: 2 min for tokens,
// 5 min allowed, 30 s denied) so a busy exec session does not hammer the API server.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { KubeletAuthzAttributes } from './authz-attributes.ts';

export interface UserInfo {
  username: string;
  groups: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

/** The two reviews the kubelet asks the API server for. */
export interface ReviewClient {
  tokenReview(token: string): Promise<UserInfo | null>;
  subjectAccessReview(user: UserInfo, attrs: KubeletAuthzAttributes): Promise<boolean>;
}

export interface KubeletAuthOptions {
  /** --anonymous-auth: requests without credentials proceed as system:anonymous (still authorized). */
  anonymous: boolean;
  /** --authentication-token-webhook: bearer tokens are checked with TokenReview. */
  webhookTokens: boolean;
  reviews: ReviewClient;
  tokenTtlMs?: number;
  allowedTtlMs?: number;
  deniedTtlMs?: number;
}

const ANONYMOUS: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };
const MAX_CACHE_ENTRIES = 10_000;

/** A small TTL cache; the oldest entry goes first when it is full. */
class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();

  get(key: string): V | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.expires > Date.now()) return hit.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: V, ttlMs: number): void {
    if (this.entries.size >= MAX_CACHE_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, expires: Date.now() + ttlMs });
  }
}

function certificateUser(req: IncomingMessage): UserInfo | null {
  const socket = req.socket as TLSSocket;
  if (!socket.authorized) return null;
  const subject = socket.getPeerCertificate()?.subject as unknown as Record<string, string | string[] | undefined> | undefined;
  const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const cn = list(subject?.CN)[0];
  return cn ? { username: cn, groups: [...list(subject?.O), 'system:authenticated'] } : null;
}

export class KubeletAuth {
  private readonly options: KubeletAuthOptions;
  private readonly tokens = new TtlCache<UserInfo | null>();
  private readonly decisions = new TtlCache<boolean>();

  constructor(options: KubeletAuthOptions) {
    this.options = options;
  }

  /** The caller, or null (→ 401). A TokenReview failure counts as no credentials. */
  async authenticate(req: IncomingMessage): Promise<UserInfo | null> {
    const fromCert = certificateUser(req);
    if (fromCert) return fromCert;
    const header = req.headers.authorization;
    if (typeof header === 'string' && /^bearer /i.test(header)) {
      if (!this.options.webhookTokens) return null;
      const token = header.slice(7).trim();
      const key = createHash('sha256').update(token).digest('hex');
      const cached = this.tokens.get(key);
      if (cached !== undefined) return cached;
      const user = await this.options.reviews.tokenReview(token).catch(() => undefined);
      if (user === undefined) return null; // review failed: do not cache, do not admit
      this.tokens.set(key, user, this.options.tokenTtlMs ?? 120_000);
      return user;
    }
    return this.options.anonymous ? ANONYMOUS : null;
  }

  async authorize(user: UserInfo, attrs: KubeletAuthzAttributes): Promise<boolean> {
    const key = JSON.stringify([user.username, [...user.groups].sort(), user.uid ?? '', attrs.verb, attrs.subresource, attrs.name]);
    const cached = this.decisions.get(key);
    if (cached !== undefined) return cached;
    const allowed = await this.options.reviews.subjectAccessReview(user, attrs).catch(() => undefined);
    if (allowed === undefined) return false;
    this.decisions.set(key, allowed, allowed ? (this.options.allowedTtlMs ?? 300_000) : (this.options.deniedTtlMs ?? 30_000));
    return allowed;
  }
}

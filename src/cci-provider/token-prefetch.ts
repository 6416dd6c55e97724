// ServiceAccount tokens requested ahead of a pod's creation. The sync workers bound how many
// CCI creations run at once (CCI's rate limits); a TokenRequest inside that bound made each
// creation wait on a Kubernetes round trip first, and on a loaded API server that round trip,
// not CCI, was what 1,000 pods bound at once queued behind (bound → CCI Running p50 4.4 s with
// tokens, 0.2 s without). So the token is requested when the pod is first seen, a few at a
// time of its own, and the creation takes it.

/** Requests the pod's token (undefined: the pod projects none). */
export type TokenFetch<P> = (pod: P) => Promise<string | undefined>;

interface Entry {
  token: Promise<string | undefined>;
  at: number;
}

export interface TokenPrefetchOptions {
  /** TokenRequests in flight at once for prefetching. */
  concurrency: number;
  /** A prefetched token older than this is not used (and is dropped): the pod was deleted, or waits. */
  maxAgeMs: number;
  /** At most this many tokens held; past it, pods are not prefetched (their creation requests one). */
  maxEntries: number;
  now?: () => number;
}

export class TokenPrefetcher<P> {
  readonly #fetch: TokenFetch<P>;
  readonly #o: Required<TokenPrefetchOptions>;
  readonly #entries = new Map<string, Entry>();
  readonly #waiting: (() => void)[] = [];
  #inFlight = 0;

  constructor(fetch: TokenFetch<P>, options: TokenPrefetchOptions) {
    this.#fetch = fetch;
    this.#o = { now: Date.now, ...options };
  }

  /** Tokens held or being requested. */
  get size(): number {
    return this.#entries.size;
  }

  /** Starts requesting the token of the pod with `uid`, unless it is already held or requested. */
  prefetch(uid: string, pod: P): void {
    if (this.#entries.has(uid)) return;
    this.#sweep();
    if (this.#entries.size >= this.#o.maxEntries) return;
    const token = this.#slot().then(() => this.#fetch(pod)).finally(() => this.#release());
    token.catch(() => this.#entries.delete(uid)); // a failed prefetch is retried by the creation
    this.#entries.set(uid, { token, at: this.#o.now() });
  }

  /** The pod's token: the prefetched one if fresh (it is then used up), else a new request. */
  take(uid: string, pod: P): Promise<string | undefined> {
    const entry = this.#entries.get(uid);
    this.#entries.delete(uid);
    if (entry && this.#o.now() - entry.at < this.#o.maxAgeMs) return entry.token.catch(() => this.#fetch(pod));
    return this.#fetch(pod);
  }

  #slot(): Promise<void> {
    if (this.#inFlight < this.#o.concurrency) {
      this.#inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(() => {
      this.#inFlight++;
      resolve();
    }));
  }

  #release(): void {
    this.#inFlight--;
    this.#waiting.shift()?.();
  }

  #sweep(): void {
    const oldest = this.#o.now() - this.#o.maxAgeMs;
    // In insertion order, so oldest first: stop at the first fresh one.
    for (const [uid, e] of this.#entries) {
      if (e.at >= oldest) return;
      this.#entries.delete(uid);
    }
  }
}

// What a controller wrote and has not seen in its caches yet (client-go's "expectations"): a sync
// waits until its caches show its own last writes, or it would plan against a world that
// predates them (create a pod twice, scale from a stale size).

/** Writes not seen after this long are no longer waited for (a lost watch event must not block a controller). */
export const EXPECTATION_TIMEOUT_MS = 30_000;

export class Expectations {
  readonly #pending = new Map<string, { seen: () => boolean; at: number }[]>();
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** `seen` says whether the caches show the write yet. */
  expect(key: string, seen: () => boolean): void {
    let list = this.#pending.get(key);
    if (!list) this.#pending.set(key, (list = []));
    list.push({ seen, at: this.#now() });
  }

  /** Whether every write made for `key` shows in the caches (or has timed out). */
  satisfied(key: string): boolean {
    const list = this.#pending.get(key);
    if (!list) return true;
    const now = this.#now();
    const left = list.filter((e) => !e.seen() && now - e.at < EXPECTATION_TIMEOUT_MS);
    if (left.length === 0) this.#pending.delete(key);
    else this.#pending.set(key, left);
    return left.length === 0;
  }

  forget(key: string): void {
    this.#pending.delete(key);
  }
}

/** Whether a cached resourceVersion is at least the one written (resourceVersions are numeric here and on kube-apiserver/etcd). */
export function atLeast(cached: string | undefined, written: string | undefined): boolean {
  if (cached === undefined || written === undefined) return false;
  return cached === written || (/^\d+$/.test(cached) && /^\d+$/.test(written) && BigInt(cached) >= BigInt(written));
}

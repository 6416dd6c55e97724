// List-then-watch of one collection into an in-memory cache (an informer), for any
// Kubernetes-style API: the API server's collections and CCI's pods. The watch resumes from the
// last resourceVersion; 410 Gone (or resync()) relists, and a relist reports what vanished while
// the watch was down. Failures back off (jittered, doubling until a list succeeds or a watch
// delivers) before the next attempt; stop() ends a backoff at once. Every change is reported by key with `undefined` for a deletion.
// The loop's life is observable: `ready` once the first list is in, `done` when it ends, and
// a crash (a bug, not an API failure) rejects both and is logged, never lost.
import { errorMessage } from '../log/error-message.ts';
import type { Logger } from '../log/logger.ts';
import type { KubeClient } from './client.ts';
import { sleep, systemClock, type Clock } from './clock.ts';
import { isGone } from './errors.ts';
import { backoffDelay } from './workqueue.ts';

export interface CachedObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

/** Where a cache reads from: a list with its resourceVersion, and a watch from one. */
export interface ListWatchSource<T> {
  list(): Promise<{ items: T[]; resourceVersion: string }>;
  /**
   * Calls `onEvent` per change after `resourceVersion` until the stream ends (resolves) or fails
   * (rejects; a 410 Gone error means relist). Ends quietly when `signal` aborts.
   */
  watch(resourceVersion: string, onEvent: (type: WatchEventType, obj: T) => void, signal: AbortSignal): Promise<void>;
}

export type ChangeHandler<T> = (key: string, obj: T | undefined, previous: T | undefined) => void;

export interface ListWatchCacheOptions<T> {
  source: ListWatchSource<T>;
  /** What the logs call this collection. */
  name: string;
  /** The cache key of an object: "namespace/name" (objectKey) or, in one namespace, the name. */
  key: (obj: T) => string;
  onChange: ChangeHandler<T>;
  /** Hears every failed list or watch (for error metrics); the loop retries on its own. */
  onError?: (err: unknown) => void;
  /** Applied to every object as it comes in (e.g. dropping managedFields). */
  transform?: (obj: T) => T;
  log: Logger;
  /** Backoff after consecutive failures: from `baseDelayMs`, doubling, up to `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  clock?: Clock;
  /** In [0, 1), for the backoff's jitter. */
  random?: () => number;
}

export class ListWatchCache<T extends CachedObject> {
  readonly #o: ListWatchCacheOptions<T>;
  readonly #cache = new Map<string, T>();
  #resourceVersion = '';
  /** The next round lists first: at start, after 410 Gone, on resync(). */
  #relist = true;
  readonly #stop = new AbortController();
  #watch = new AbortController();
  #done: Promise<void> | undefined;
  #markReady!: () => void;
  #failReady!: (err: unknown) => void;
  /** Resolves once the first list is in; rejects if the loop crashes before. */
  readonly ready: Promise<void>;

  constructor(options: ListWatchCacheOptions<T>) {
    this.#o = options;
    this.ready = new Promise((resolve, reject) => {
      this.#markReady = resolve;
      this.#failReady = reject;
    });
    this.ready.catch(() => undefined); // surfaced through start() and done
  }

  get(key: string): T | undefined {
    return this.#cache.get(key);
  }

  list(): T[] {
    return [...this.#cache.values()];
  }

  get size(): number {
    return this.#cache.size;
  }

  /** Starts the loop (once); resolves when the first list has been delivered. */
  start(): Promise<void> {
    this.#done ??= this.#loop().catch((err: unknown) => {
      this.#o.log.error({ cache: this.#o.name, err: errorMessage(err) }, 'list/watch loop crashed');
      this.#failReady(err);
      throw err;
    });
    this.#done.catch(() => undefined); // the caller awaits `done` if it wants the crash
    return this.ready;
  }

  /** Resolves when the loop has ended after stop(); rejects with the error that crashed it. */
  get done(): Promise<void> {
    return this.#done ?? Promise.resolve();
  }

  /** Ends the loop, including a backoff in progress. */
  stop(): void {
    this.#stop.abort();
    this.#watch.abort();
  }

  /** Relists now (the periodic resync): ends the current watch and forgets its resourceVersion. */
  resync(): void {
    this.#relist = true;
    this.#watch.abort();
  }

  /** Records what a create or get returned, ahead of the watch (a newer resourceVersion wins). */
  remember(obj: T): void {
    this.#put(obj);
  }

  /** Drops an object the API said is gone (404) before the watch told. */
  forget(key: string): void {
    const previous = this.#cache.get(key);
    if (!previous) return;
    this.#cache.delete(key);
    this.#o.onChange(key, undefined, previous);
  }

  async #loop(): Promise<void> {
    const stop = this.#stop.signal;
    const clock = this.#o.clock ?? systemClock;
    let failures = 0;
    while (!stop.aborted) {
      this.#watch = new AbortController();
      const watch = this.#watch.signal;
      try {
        if (this.#relist) {
          // Cleared once the list is in: a failed list is listed again, never followed by a
          // watch from no version (which left `ready` pending for good: start() never returned).
          await this.#list();
          this.#relist = false;
          failures = 0;
        }
        if (watch.aborted) continue; // resync() or stop() meanwhile
        await this.#o.source.watch(this.#resourceVersion, (type, obj) => {
          failures = 0;
          this.#apply(type, obj);
        }, watch);
      } catch (err) {
        if (stop.aborted) return;
        if (watch.aborted) continue; // resync() asked for a relist
        if (isGone(err)) {
          this.#relist = true;
          continue;
        }
        this.#o.onError?.(err);
        failures++;
        const delay = backoffDelay(failures, this.#o.baseDelayMs ?? 500, this.#o.maxDelayMs ?? 15_000, this.#o.random ?? Math.random);
        this.#o.log.warn({ cache: this.#o.name, err: errorMessage(err), retryInMs: delay }, 'list/watch failed');
        await sleep(clock, delay, stop);
      }
    }
  }

  async #list(): Promise<void> {
    const list = await this.#o.source.list();
    const seen = new Set<string>();
    for (const item of list.items) seen.add(this.#put(item));
    for (const [key, previous] of this.#cache) {
      // Not listed, but newer than the list (remembered from a create meanwhile): keep.
      if (seen.has(key) || newer(previous.metadata?.resourceVersion, list.resourceVersion)) continue;
      this.#cache.delete(key);
      this.#o.onChange(key, undefined, previous);
    }
    this.#resourceVersion = list.resourceVersion;
    this.#markReady();
  }

  /** A watch event: the watch resumes after it. */
  #apply(type: WatchEventType, obj: T): void {
    const rv = obj.metadata?.resourceVersion;
    if (rv) this.#resourceVersion = rv;
    if (type === 'BOOKMARK') return;
    if (type !== 'DELETED') {
      this.#put(obj);
      return;
    }
    const deleted = this.#o.transform ? this.#o.transform(obj) : obj;
    const key = this.#o.key(deleted);
    const previous = this.#cache.get(key);
    this.#cache.delete(key);
    this.#o.onChange(key, undefined, previous ?? deleted);
  }

  /** Stores `raw` unless the cache holds a newer version of it; returns its key. */
  #put(raw: T): string {
    const obj = this.#o.transform ? this.#o.transform(raw) : raw;
    const key = this.#o.key(obj);
    const previous = this.#cache.get(key);
    const rv = obj.metadata?.resourceVersion;
    const was = previous?.metadata?.resourceVersion;
    if (previous && rv !== undefined && was !== undefined && olderOrSame(rv, was)) return key;
    this.#cache.set(key, obj);
    this.#o.onChange(key, obj, previous);
    return key;
  }
}

/**
 * resourceVersions are opaque in general; the API server's and CCI's are integers, compared as
 * such (undefined when either is not one).
 */
function compareVersions(a: string, b: string): number | undefined {
  const x = Number(a);
  const y = Number(b);
  return a !== '' && b !== '' && Number.isFinite(x) && Number.isFinite(y) ? x - y : undefined;
}

/** `a` is known to come after `b`. */
function newer(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && (compareVersions(a, b) ?? 0) > 0;
}

/** `a` is no news after `b`: older or the same version. */
function olderOrSame(a: string, b: string): boolean {
  const order = compareVersions(a, b);
  return order === undefined ? a === b : order <= 0;
}

/** "namespace/name" of a Kubernetes object (cluster-scoped: "/name"). */
export function objectKey(obj: CachedObject): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

/** Drops metadata.managedFields in place (server-side apply bookkeeping nobody here reads). */
export function withoutManagedFields<T extends CachedObject>(obj: T): T {
  if (obj.metadata && 'managedFields' in obj.metadata) delete (obj.metadata as { managedFields?: unknown }).managedFields;
  return obj;
}

export type KubeApi = Pick<KubeClient, 'request' | 'watch'>;

/** A collection of the API server as a list-watch source: `path` with `query` (selectors). */
export function kubeSource<T>(client: KubeApi, path: string, query: Record<string, string | undefined> = {}): ListWatchSource<T> {
  return {
    async list() {
      const list = await client.request<{ metadata: { resourceVersion: string }; items: T[] }>('GET', path, { query });
      return { items: list.items, resourceVersion: list.metadata.resourceVersion };
    },
    watch: (resourceVersion, onEvent, signal) =>
      client.watch<T>(path, { ...query, resourceVersion, timeoutSeconds: '300' }, (type, obj) => onEvent(type as WatchEventType, obj), signal),
  };
}

export interface InformerOptions<T> {
  query?: Record<string, string | undefined>;
  onChange?: ChangeHandler<T>;
  log: Logger;
}

/** A cache of an API server collection, keyed "namespace/name", without managedFields (client-go's informer). */
export function informer<T extends CachedObject>(client: KubeApi, path: string, o: InformerOptions<T>): ListWatchCache<T> {
  return new ListWatchCache<T>({
    source: kubeSource<T>(client, path, o.query),
    name: path,
    key: objectKey,
    transform: withoutManagedFields,
    onChange: o.onChange ?? (() => undefined),
    log: o.log,
  });
}

// List-then-watch of one Kubernetes collection into an in-memory cache (an informer): relists
// on 410 Gone, reconnects with backoff on errors, and reports every change by key
// ("namespace/name"), with `undefined` for a deletion. Relists also report what vanished
// while the watch was down. metadata.managedFields (server-side apply bookkeeping, often the
// largest part of an object on a real API server) is never read: it is dropped on ingest, as
// client-go informers' transform does.
import type { Logger } from '../log/logger.ts';
import { backoffDelay } from './workqueue.ts';
import { KubeError, type KubeClient } from './client.ts';
import { errorMessage } from '../log/error-message.ts';

export interface KubeObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

/** Drops metadata.managedFields in place; returns the object. */
export function withoutManagedFields<T extends KubeObject>(obj: T): T {
  if (obj.metadata && 'managedFields' in obj.metadata) delete (obj.metadata as { managedFields?: unknown }).managedFields;
  return obj;
}

export function objectKey(obj: KubeObject): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

export type ChangeHandler<T> = (key: string, obj: T | undefined, previous: T | undefined) => void;

export class Reflector<T extends KubeObject> {
  readonly #client: Pick<KubeClient, 'request' | 'watch'>;
  readonly #path: string;
  readonly #query: Record<string, string | undefined>;
  readonly #onChange: ChangeHandler<T>;
  readonly #log: Logger;
  readonly #cache = new Map<string, T>();
  #resourceVersion = '';
  #abort = new AbortController();
  #synced: Promise<void>;
  #markSynced!: () => void;

  constructor(client: Pick<KubeClient, 'request' | 'watch'>, path: string, query: Record<string, string | undefined>, onChange: ChangeHandler<T>, log: Logger) {
    this.#client = client;
    this.#path = path;
    this.#query = query;
    this.#onChange = onChange;
    this.#log = log;
    this.#synced = new Promise((resolve) => (this.#markSynced = resolve));
  }

  get(key: string): T | undefined {
    return this.#cache.get(key);
  }

  list(): T[] {
    return [...this.#cache.values()];
  }

  /** Starts the loop; resolves once the first list has been delivered. */
  start(): Promise<void> {
    void this.#loop();
    return this.#synced;
  }

  stop(): void {
    this.#abort.abort();
  }

  async #loop(): Promise<void> {
    let failures = 0;
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      try {
        if (this.#resourceVersion === '') await this.#relist();
        failures = 0;
        await this.#client.watch<T>(this.#path, { ...this.#query, resourceVersion: this.#resourceVersion, timeoutSeconds: '300' }, (type, obj) => this.#apply(type, obj), signal);
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof KubeError && err.status === 410) {
          this.#resourceVersion = '';
          continue;
        }
        failures++;
        const delay = backoffDelay(failures, 500, 15_000, Math.random);
        this.#log.warn({ path: this.#path, err: errorMessage(err), retryInMs: delay }, 'list/watch failed');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  async #relist(): Promise<void> {
    const list = await this.#client.request<{ metadata: { resourceVersion: string }; items: T[] }>('GET', this.#path, { query: this.#query });
    const seen = new Set<string>();
    for (const item of list.items.map(withoutManagedFields)) {
      const key = objectKey(item);
      seen.add(key);
      const previous = this.#cache.get(key);
      this.#cache.set(key, item);
      if (previous?.metadata?.resourceVersion !== item.metadata?.resourceVersion) this.#onChange(key, item, previous);
    }
    for (const [key, previous] of this.#cache) {
      if (seen.has(key)) continue;
      this.#cache.delete(key);
      this.#onChange(key, undefined, previous);
    }
    this.#resourceVersion = list.metadata.resourceVersion;
    this.#markSynced();
  }

  #apply(type: string, obj: T): void {
    if (obj.metadata?.resourceVersion) this.#resourceVersion = obj.metadata.resourceVersion;
    if (type === 'BOOKMARK') return;
    withoutManagedFields(obj);
    const key = objectKey(obj);
    const previous = this.#cache.get(key);
    if (type === 'DELETED') {
      this.#cache.delete(key);
      this.#onChange(key, undefined, previous ?? obj);
    } else {
      this.#cache.set(key, obj);
      this.#onChange(key, obj, previous);
    }
  }
}

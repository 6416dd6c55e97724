// In-memory object storage with one global resourceVersion counter, a bounded window of
// change history, and watchers fed synchronously on every write (so an event is never
// missed between a list and a watch from its resourceVersion). Stored objects are treated
// as immutable: writers always put a new object.

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: { uid?: string; [k: string]: unknown }[];
  [k: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [k: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  storage: string;
  object: KubeObject;
  /** The object before this change (MODIFIED, DELETED), so filtered watches can turn a change into ADDED/DELETED. */
  previous?: KubeObject;
  rv: number;
}

export interface WatchOptions {
  namespace?: string;
  /** "" or "0": synthetic ADDED for current objects, then live; a number: replay history after it. */
  resourceVersion?: string;
}

export interface WatchHandle {
  stop(): void;
}

/** The requested resourceVersion is older than the retained history (HTTP 410). */
export class ExpiredError extends Error {
  override name = 'ExpiredError';
  readonly oldest: number;
  constructor(requested: number, oldest: number) {
    super(`too old resource version: ${requested} (${oldest})`);
    this.oldest = oldest;
  }
}

interface Watcher {
  storage: string;
  namespace?: string;
  send(ev: StoreEvent): void;
  close(): void;
}

export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export class ObjectStore {
  private rv = 0;
  /** Every event with rv > floor is still in history. */
  private floor = 0;
  private readonly tables = new Map<string, Map<string, KubeObject>>();
  private history: StoreEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  readonly historyLimit: number;

  constructor(opts: { historyLimit?: number } = {}) {
    this.historyLimit = opts.historyLimit ?? 10_000;
  }

  resourceVersion(): number {
    return this.rv;
  }

  private table(storage: string): Map<string, KubeObject> {
    let t = this.tables.get(storage);
    if (!t) this.tables.set(storage, (t = new Map()));
    return t;
  }

  get(storage: string, namespace: string, name: string): KubeObject | undefined {
    return this.tables.get(storage)?.get(objectKey(namespace, name));
  }

  list(storage: string, namespace?: string): { items: KubeObject[]; resourceVersion: number } {
    const items: KubeObject[] = [];
    for (const o of this.tables.get(storage)?.values() ?? []) {
      if (!namespace || o.metadata.namespace === namespace) items.push(o);
    }
    return { items, resourceVersion: this.rv };
  }

  /** Stores `obj` (ADDED if new, else MODIFIED) with the next resourceVersion; returns the stored object. */
  put(storage: string, obj: KubeObject): KubeObject {
    const rv = ++this.rv;
    const stored: KubeObject = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } };
    const table = this.table(storage);
    const key = objectKey(stored.metadata.namespace, stored.metadata.name ?? '');
    const previous = table.get(key);
    table.set(key, stored);
    this.emit(previous ? { type: 'MODIFIED', storage, object: stored, previous, rv } : { type: 'ADDED', storage, object: stored, rv });
    return stored;
  }

  /** Removes an object; the DELETED event carries it with the deletion's resourceVersion. */
  remove(storage: string, namespace: string, name: string): KubeObject | undefined {
    const table = this.table(storage);
    const key = objectKey(namespace, name);
    const previous = table.get(key);
    if (!previous) return undefined;
    table.delete(key);
    const rv = ++this.rv;
    const object: KubeObject = { ...previous, metadata: { ...previous.metadata, resourceVersion: String(rv) } };
    this.emit({ type: 'DELETED', storage, object, previous, rv });
    return object;
  }

  private emit(ev: StoreEvent): void {
    this.history.push(ev);
    if (this.history.length > this.historyLimit * 1.25) {
      const drop = this.history.length - this.historyLimit;
      this.floor = this.history[drop - 1]!.rv;
      this.history = this.history.slice(drop);
    }
    for (const w of this.watchers) {
      if (w.storage === ev.storage && (!w.namespace || w.namespace === ev.object.metadata.namespace)) w.send(ev);
    }
  }

  /**
   * Starts a watch. Replayed and synthetic events are delivered before this returns; live
   * events follow synchronously with each write. Throws ExpiredError when history no longer
   * reaches back to the requested resourceVersion.
   */
  watch(storage: string, opts: WatchOptions, send: (ev: StoreEvent) => void, onClose: () => void): WatchHandle {
    const rvText = opts.resourceVersion ?? '';
    const inNamespace = (o: KubeObject): boolean => !opts.namespace || o.metadata.namespace === opts.namespace;
    if (rvText === '' || rvText === '0') {
      for (const object of this.list(storage, opts.namespace).items) send({ type: 'ADDED', storage, object, rv: Number(object.metadata.resourceVersion) });
    } else {
      const from = Number(rvText);
      if (from < this.floor) throw new ExpiredError(from, this.floor + 1);
      for (const ev of this.history) if (ev.rv > from && ev.storage === storage && inNamespace(ev.object)) send(ev);
    }
    const watcher: Watcher = { storage, send, close: onClose };
    if (opts.namespace) watcher.namespace = opts.namespace;
    this.watchers.add(watcher);
    return { stop: () => this.watchers.delete(watcher) };
  }

  /** Test hook: forget all history, so every resume from an older resourceVersion gets 410. */
  compact(): void {
    this.history = [];
    this.floor = this.rv;
  }

  /** Test hook (and shutdown): end every open watch, as an apiserver restart or timeout would. */
  dropWatches(): void {
    const all = [...this.watchers];
    this.watchers.clear();
    for (const w of all) w.close();
  }

  watchCount(): number {
    return this.watchers.size;
  }
}

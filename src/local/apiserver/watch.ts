// Watch over HTTP: a chunked stream of JSON lines ({"type","object"}), resumable from a
// resourceVersion, with BOOKMARK events when asked for and an ERROR event carrying a 410
// Status when history no longer reaches back (the way the watch cache answers).
import type { ServerResponse } from 'node:http';
import { gone } from './errors.ts';
import { apiVersionOf, type ResourceDef } from './resources.ts';
import { ExpiredError, type KubeObject, type ObjectStore, type StoreEvent, type WatchEventType } from './store.ts';

export interface WatchRequest {
  /** The resource as the client named it (kind and apiVersion of bookmarks). */
  def: ResourceDef;
  /** Where its objects are stored. */
  storage: string;
  namespace?: string;
  resourceVersion?: string;
  filter(o: KubeObject): boolean;
  /** Turns an object into what this client asked for (plain object or a one-row Table). */
  encode(o: KubeObject, first: boolean): unknown;
  /** Whether `encode` returns the stored object itself, so its serialization can be shared. */
  plain: boolean;
  allowBookmarks: boolean;
  /** Streaming list (client-go WatchList): current objects first, then a bookmark marking their end. */
  sendInitialEvents: boolean;
  bookmarkIntervalMs: number;
  timeoutMs: number;
}

const MAX_BUFFERED = 16 * 1024 * 1024;

// Every watcher of an object gets the same bytes: encode each (object, event type) once.
const encoded = new WeakMap<KubeObject, Partial<Record<WatchEventType, Buffer>>>();
const json = new WeakMap<object, string>();

/** JSON of a stored object, shared by watch events and the write's own response. */
export function storedJson(o: object): string {
  let s = json.get(o);
  if (s === undefined) json.set(o, (s = JSON.stringify(o)));
  return s;
}

function eventBytes(type: WatchEventType, o: KubeObject): Buffer {
  let byType = encoded.get(o);
  if (!byType) encoded.set(o, (byType = {}));
  return (byType[type] ??= Buffer.from(`{"type":"${type}","object":${storedJson(o)}}\n`));
}

/** Maps a store event through a filter: a change that enters the filter is ADDED, one that leaves it DELETED. */
export function filteredType(ev: StoreEvent, filter: (o: KubeObject) => boolean): WatchEventType | undefined {
  const now = filter(ev.object);
  if (ev.type === 'ADDED') return now ? 'ADDED' : undefined;
  const before = ev.previous ? filter(ev.previous) : false;
  if (ev.type === 'DELETED') return now || before ? 'DELETED' : undefined;
  if (now && before) return 'MODIFIED';
  if (now) return 'ADDED';
  return before ? 'DELETED' : undefined;
}

export function serveWatch(store: ObjectStore, res: ServerResponse, w: WatchRequest): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  let first = true;
  let closed = false;
  const write = (type: WatchEventType, o: KubeObject): void => {
    if (closed) return;
    const bytes = w.plain ? eventBytes(type, o) : `{"type":"${type}","object":${JSON.stringify(w.encode(o, first))}}\n`;
    first = false;
    // Events written in one tick leave in one TLS record and syscall.
    if (!res.writableCorked) {
      res.cork();
      process.nextTick(() => res.uncork());
    }
    res.write(bytes);
    // A client that stops reading must not make the server buffer without bound: drop it,
    // it will re-watch from its last resourceVersion (or relist), as with kube-apiserver.
    if (res.writableLength > MAX_BUFFERED) finish();
  };
  const timers: { timeout?: NodeJS.Timeout; bookmark?: NodeJS.Timeout } = {};
  let handle: { stop(): void } | undefined;
  const finish = (): void => {
    if (closed) return;
    closed = true;
    clearTimeout(timers.timeout);
    clearTimeout(timers.bookmark);
    handle?.stop();
    res.end();
  };
  res.on('close', finish);
  try {
    handle = store.watch(
      w.storage,
      { namespace: w.namespace, resourceVersion: w.sendInitialEvents ? '' : w.resourceVersion },
      (ev) => {
        const type = filteredType(ev, w.filter);
        if (type) write(type, ev.object);
      },
      finish,
    );
  } catch (err) {
    if (!(err instanceof ExpiredError)) throw err;
    res.write(`${JSON.stringify({ type: 'ERROR', object: gone(err.message).status })}\n`);
    finish();
    return;
  }
  if (closed) {
    handle.stop();
    return;
  }
  const writeBookmark = (annotations?: Record<string, string>): void => {
    const metadata = { resourceVersion: String(store.resourceVersion()), ...(annotations ? { annotations } : {}) };
    res.write(`${JSON.stringify({ type: 'BOOKMARK', object: { kind: w.def.kind, apiVersion: apiVersionOf(w.def), metadata } })}\n`);
  };
  // The initial events were delivered synchronously by store.watch: mark their end.
  if (w.sendInitialEvents) writeBookmark({ 'k8s.io/initial-events-end': 'true' });
  timers.timeout = setTimeout(finish, w.timeoutMs);
  if (w.allowBookmarks) {
    const bookmark = (): void => {
      if (closed) return;
      writeBookmark();
      timers.bookmark = setTimeout(bookmark, w.bookmarkIntervalMs).unref();
    };
    timers.bookmark = setTimeout(bookmark, w.bookmarkIntervalMs).unref();
  }
}

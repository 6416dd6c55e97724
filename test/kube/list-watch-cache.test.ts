import { describe, expect, it } from 'vitest';
import { KubeError } from '../../src/kube/client.ts';
import { ListWatchCache, informer, type ListWatchSource, type WatchEventType } from '../../src/kube/list-watch-cache.ts';
import type { Pod } from '../../src/kube/wire.ts';
import { createLogger } from '../../src/log/logger.ts';
import { FakeClock, settle } from '../support/fake-clock.ts';

const log = createLogger('silent', 'test');
const managed = [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:containers': {} } } }];
const pod = (name: string, rv: string): Pod => ({ metadata: { namespace: 'ns', name, resourceVersion: rv, managedFields: managed } });

type Emit = (type: WatchEventType, obj: Pod) => void;

/** A scripted API: each list and watch call takes the next step the test pushed. */
function scriptedSource() {
  const lists: (() => Promise<{ items: Pod[]; resourceVersion: string }>)[] = [];
  const watches: ((emit: Emit, signal: AbortSignal) => Promise<void>)[] = [];
  const calls: string[] = [];
  const source: ListWatchSource<Pod> = {
    list: () => {
      calls.push('list');
      const step = lists.shift();
      return step ? step() : Promise.reject(new Error('no list scripted'));
    },
    watch: (rv, onEvent, signal) => {
      calls.push(`watch@${rv}`);
      const step = watches.shift() ?? (() => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve())));
      return step(onEvent, signal);
    },
  };
  return { source, lists, watches, calls };
}

/** A watch that stays open until aborted, after emitting. */
const openWatch = (...events: [WatchEventType, Pod][]) => (emit: Emit, signal: AbortSignal): Promise<void> => {
  for (const [type, obj] of events) emit(type, obj);
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve()));
};

function cacheOf(source: ListWatchSource<Pod>, clock: FakeClock, extra: { onError?: (err: unknown) => void; onChange?: (key: string, pod: Pod | undefined) => void } = {}) {
  return new ListWatchCache<Pod>({
    source,
    name: 'pods',
    key: (p) => `${p.metadata?.namespace}/${p.metadata?.name}`,
    onChange: (key, obj) => extra.onChange?.(key, obj),
    ...(extra.onError ? { onError: extra.onError } : {}),
    log,
    clock,
    random: () => 0.5,
    baseDelayMs: 1_000,
    maxDelayMs: 60_000,
  });
}

describe('ListWatchCache', () => {
  it('keeps no managedFields, from the list or from the watch (informer)', async () => {
    const s = scriptedSource();
    s.lists.push(async () => ({ items: [pod('a', '1')], resourceVersion: '1' }));
    s.watches.push(openWatch(['ADDED', pod('b', '2')]));
    const client = {
      request: async <T>() => (await s.source.list().then((l) => ({ metadata: { resourceVersion: l.resourceVersion }, items: l.items }))) as T,
      watch: async <T>(_path: string, q: Record<string, string | undefined>, onEvent: (type: string, obj: T) => void, signal: AbortSignal) =>
        s.source.watch(q.resourceVersion ?? '', (type, obj) => onEvent(type, obj as T), signal),
    };
    const seen: (Pod | undefined)[] = [];
    const r = informer<Pod>(client, '/api/v1/pods', { onChange: (_key, obj) => seen.push(obj), log });
    await r.start();
    await settle();
    r.stop();
    await r.done;
    expect(r.list().map((p) => p.metadata?.name).sort()).toEqual(['a', 'b']);
    expect(r.list().every((p) => p.metadata?.managedFields === undefined)).toBe(true);
    expect(seen.every((p) => p?.metadata?.managedFields === undefined)).toBe(true);
  });

  it('resumes the watch from the last resourceVersion, and relists on 410 Gone, reporting what vanished', async () => {
    const clock = new FakeClock();
    const s = scriptedSource();
    const changes: string[] = [];
    s.lists.push(async () => ({ items: [pod('a', '1'), pod('b', '2')], resourceVersion: '2' }));
    s.watches.push(async (emit) => emit('MODIFIED', pod('a', '3'))); // then the stream ends
    s.watches.push(async () => {
      throw new KubeError(410, 'Expired', 'too old resource version');
    });
    s.lists.push(async () => ({ items: [pod('a', '3')], resourceVersion: '7' }));
    const c = cacheOf(s.source, clock, { onChange: (key, p) => changes.push(`${key}@${p?.metadata?.resourceVersion ?? 'gone'}`) });
    await c.start();
    await settle();
    expect(s.calls).toEqual(['list', 'watch@2', 'watch@3', 'list', 'watch@7']);
    expect(changes).toEqual(['ns/a@1', 'ns/b@2', 'ns/a@3', 'ns/b@gone']);
    expect(c.list().map((p) => p.metadata?.name)).toEqual(['a']);
    c.stop();
    await c.done;
  });

  it('backs off after a failure, surfaces the error, and stop() ends the backoff at once', async () => {
    const clock = new FakeClock();
    const s = scriptedSource();
    const errors: unknown[] = [];
    s.lists.push(async () => ({ items: [], resourceVersion: '1' }));
    s.watches.push(async () => {
      throw new KubeError(503, 'ServiceUnavailable', 'apiserver down');
    });
    const c = cacheOf(s.source, clock, { onError: (err) => errors.push(err) });
    await c.start();
    await settle();
    expect(errors).toHaveLength(1);
    expect(clock.pending).toEqual([1_000]); // base delay, jitter 0.5 → ×1.0
    await clock.advance(999);
    expect(s.calls).toEqual(['list', 'watch@1']);
    c.stop();
    // Resolves without the clock moving: the sleep was cancelled.
    await c.done;
    expect(clock.pending).toEqual([]);
    expect(s.calls).toEqual(['list', 'watch@1']);
  });

  it('retries after the backoff, doubling it while failures continue', async () => {
    const clock = new FakeClock();
    const s = scriptedSource();
    const fail = async (): Promise<never> => {
      throw new KubeError(0, 'ConnectionError', 'ECONNREFUSED');
    };
    s.lists.push(async () => ({ items: [], resourceVersion: '1' }));
    s.watches.push(fail, fail);
    const c = cacheOf(s.source, clock);
    await c.start();
    await settle();
    await clock.advance(1_000);
    expect(s.calls).toEqual(['list', 'watch@1', 'watch@1']);
    expect(clock.pending).toEqual([2_000]);
    await clock.advance(2_000);
    expect(s.calls).toEqual(['list', 'watch@1', 'watch@1', 'watch@1']);
    c.stop();
    await c.done;
  });

  it('lists again after a failed list, and is ready only then (a failed first list left start() pending for good: the node never became ready under injected CCI errors)', async () => {
    const clock = new FakeClock();
    const s = scriptedSource();
    s.lists.push(async () => {
      throw new KubeError(503, 'ServiceUnavailable', 'injected fault');
    }, async () => ({ items: [pod('a', '4')], resourceVersion: '4' }));
    const c = cacheOf(s.source, clock);
    let ready = false;
    void c.start().then(() => (ready = true));
    await settle();
    expect(ready).toBe(false);
    await clock.advance(1_000);
    await settle();
    expect(ready).toBe(true);
    expect(s.calls).toEqual(['list', 'list', 'watch@4']);
    c.stop();
    await c.done;
  });

  it('resync() relists now', async () => {
    const clock = new FakeClock();
    const s = scriptedSource();
    s.lists.push(async () => ({ items: [pod('a', '1')], resourceVersion: '1' }));
    s.lists.push(async () => ({ items: [], resourceVersion: '5' }));
    const c = cacheOf(s.source, clock);
    await c.start();
    await settle();
    c.resync();
    await settle();
    expect(s.calls).toEqual(['list', 'watch@1', 'list', 'watch@5']);
    expect(c.size).toBe(0);
    c.stop();
    await c.done;
  });

  it('keeps what a create returned over an older watch event and a list taken before it', async () => {
    const clock = new FakeClock();
    const s = scriptedSource();
    s.lists.push(async () => ({ items: [], resourceVersion: '1' }));
    let emit: Emit = () => undefined;
    s.watches.push((e, signal) => {
      emit = e;
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve()));
    });
    s.lists.push(async () => ({ items: [], resourceVersion: '3' }));
    const c = cacheOf(s.source, clock);
    await c.start();
    await settle();
    c.remember(pod('new', '4'));
    emit('ADDED', pod('new', '2'));
    expect(c.get('ns/new')?.metadata?.resourceVersion).toBe('4');
    c.resync();
    await settle();
    expect(c.get('ns/new')?.metadata?.resourceVersion).toBe('4');
    c.stop();
    await c.done;
  });

  it('makes a crashed loop visible: start() and done reject', async () => {
    const clock = new FakeClock();
    const s = scriptedSource();
    s.lists.push(async () => {
      throw new Error('list failed');
    });
    const c = cacheOf(s.source, clock, {
      onError: () => {
        throw new Error('the error hook itself is broken');
      },
    });
    await expect(c.start()).rejects.toThrow('the error hook itself is broken');
    await expect(c.done).rejects.toThrow('the error hook itself is broken');
  });
});

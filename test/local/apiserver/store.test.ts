import { afterEach, describe, expect, it, vi } from 'vitest';
import { ExpiredError, ObjectStore, type KubeObject, type StoreEvent } from '../../../src/local/apiserver/store.ts';
import { filteredType } from '../../../src/local/apiserver/watch.ts';
import { expireEvents } from '../../../src/local/apiserver/index.ts';

const pod = (name: string, extra: Record<string, unknown> = {}) => ({ metadata: { name, namespace: 'ns' }, ...extra });

function collect(store: ObjectStore, rv: string, namespace?: string) {
  const events: StoreEvent[] = [];
  let closed = false;
  const handle = store.watch('pods', { resourceVersion: rv, namespace }, (e) => events.push(e), () => (closed = true));
  return { events, handle, closed: () => closed };
}

describe('ObjectStore', () => {
  it('assigns one increasing resourceVersion across resources', () => {
    const s = new ObjectStore();
    const a = s.put('pods', pod('a'));
    const b = s.put('configmaps', pod('b'));
    expect([a.metadata.resourceVersion, b.metadata.resourceVersion]).toEqual(['1', '2']);
    expect(s.list('pods').resourceVersion).toBe(2);
  });

  it('replays history after a resourceVersion, then streams live events', () => {
    const s = new ObjectStore();
    s.put('pods', pod('a'));
    const rv = s.resourceVersion();
    s.put('pods', pod('b'));
    s.put('pods', pod('a', { spec: { x: 1 } }));
    const w = collect(s, String(rv));
    s.remove('pods', 'ns', 'b');
    expect(w.events.map((e) => [e.type, e.object.metadata.name, e.rv])).toEqual([
      ['ADDED', 'b', 2],
      ['MODIFIED', 'a', 3],
      ['DELETED', 'b', 4],
    ]);
  });

  it('sends synthetic ADDED events for resourceVersion "" and "0"', () => {
    const s = new ObjectStore();
    s.put('pods', pod('a'));
    s.put('pods', { metadata: { name: 'other', namespace: 'ns2' } });
    expect(collect(s, '0', 'ns').events.map((e) => [e.type, e.object.metadata.name])).toEqual([['ADDED', 'a']]);
    expect(collect(s, '').events).toHaveLength(2);
  });

  it('keeps a bounded window and answers older resourceVersions with ExpiredError', () => {
    const s = new ObjectStore({ historyLimit: 10 });
    for (let i = 0; i < 50; i++) s.put('pods', pod(`p${i}`));
    expect(() => collect(s, '1')).toThrow(ExpiredError);
    const recent = String(s.resourceVersion() - 5);
    expect(collect(s, recent).events).toHaveLength(5);
  });

  it('compact() makes every earlier resourceVersion expire; dropWatches() closes watches', () => {
    const s = new ObjectStore();
    s.put('pods', pod('a'));
    const w = collect(s, '0');
    s.put('pods', pod('b'));
    s.compact();
    expect(() => collect(s, '1')).toThrow(ExpiredError);
    expect(collect(s, String(s.resourceVersion())).events).toEqual([]);
    s.dropWatches();
    expect(w.closed()).toBe(true);
    expect(s.watchCount()).toBe(0);
  });
});

describe('filtered watch events', () => {
  const onNode = (o: KubeObject) => (o.spec as { nodeName?: string } | undefined)?.nodeName === 'n1';
  const before = pod('a', { spec: {} });
  const after = pod('a', { spec: { nodeName: 'n1' } });
  it.each([
    ['a change into the selection is ADDED', { type: 'MODIFIED', object: after, previous: before }, 'ADDED'],
    ['a change out of it is DELETED', { type: 'MODIFIED', object: before, previous: after }, 'DELETED'],
    ['a change inside it is MODIFIED', { type: 'MODIFIED', object: after, previous: after }, 'MODIFIED'],
    ['a change outside it is dropped', { type: 'MODIFIED', object: before, previous: before }, undefined],
    ['an unselected ADDED is dropped', { type: 'ADDED', object: before }, undefined],
    ['a selected DELETED passes', { type: 'DELETED', object: after, previous: after }, 'DELETED'],
  ] as const)('%s', (_n, ev, expected) => {
    expect(filteredType({ ...ev, storage: 'pods', rv: 1 } as StoreEvent, onNode)).toBe(expected);
  });
});

describe('event expiry', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('removes Events older than the TTL, keeping newer ones', () => {
    vi.useFakeTimers();
    const s = new ObjectStore();
    const old = new Date(Date.now() - 60_000).toISOString();
    s.put('events', { metadata: { name: 'old', namespace: 'ns', creationTimestamp: old } });
    s.put('events', { metadata: { name: 'new', namespace: 'ns', creationTimestamp: new Date(Date.now() + 60_000).toISOString() } });
    expect(s.list('events').items).toHaveLength(2);
    // The sweep runs every min(60 s, ttl).
    const sweep = expireEvents(s, 20);
    vi.advanceTimersByTime(19);
    expect(s.list('events').items).toHaveLength(2);
    vi.advanceTimersByTime(1);
    clearInterval(sweep);
    expect(s.list('events').items.map((e) => e.metadata.name)).toEqual(['new']);
  });
});

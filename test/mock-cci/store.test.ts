import { describe, expect, it } from 'vitest';
import { PodStore } from '../../src/mock-cci/store.ts';
import { ProbeVerdict } from '../../src/mock-cci/runtime/probe.ts';
import type { CciPod, CciWatchEvent } from '../../src/cci/types.ts';

const pod = (name: string): CciPod => ({
  apiVersion: 'cci/v2',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [], restartPolicy: 'Always', hostname: name, dnsConfig: { nameservers: [], searches: [], options: [] } },
});
const parse = (lines: string[]): [string, string, string][] =>
  lines.map((l) => JSON.parse(l) as CciWatchEvent).map((e) => [e.type, (e.object as CciPod).metadata.name, (e.object as CciPod).metadata.resourceVersion!]);

describe('PodStore watch', () => {
  it('replays changes after a version, then streams live ones; version 0 lists current objects', () => {
    const store = new PodStore();
    store.put(pod('a'), 'ADDED');
    store.put(pod('b'), 'ADDED');
    store.put(pod('a'), 'MODIFIED');
    store.delete('b');
    const live: string[] = [];
    const w = store.watch('2', (l) => live.push(l))!;
    expect(parse(w.initial)).toEqual([['MODIFIED', 'a', '3'], ['DELETED', 'b', '4']]);
    store.put(pod('c'), 'ADDED');
    w.stop();
    store.put(pod('d'), 'ADDED');
    expect(parse(live)).toEqual([['ADDED', 'c', '5']]);
    expect(parse(store.watch('0', () => undefined)!.initial)).toEqual([['ADDED', 'a', '3'], ['ADDED', 'c', '5'], ['ADDED', 'd', '6']]);
  });
  it('answers Gone for versions older than its history', () => {
    const store = new PodStore();
    for (let i = 0; i < 20_010; i++) store.put(pod('a'), 'MODIFIED');
    expect(store.watch('5', () => undefined)).toBeNull();
    expect(store.watch('not-a-number', () => undefined)).toBeNull();
    expect(store.watch('20009', () => undefined)!.initial).toHaveLength(1);
  });
});

describe('ProbeVerdict', () => {
  it('flips after the thresholds of consecutive outcomes', () => {
    const v = new ProbeVerdict({ initialDelayMs: 0, periodMs: 1, timeoutMs: 1, successThreshold: 2, failureThreshold: 3 });
    expect([false, false, true, false, false, false, false, true, true, true].map((ok) => v.record(ok))).toEqual([
      null, null, null, null, null, false, null, null, true, null,
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { pruneUnapplied } from '../../../src/local/apiserver/apply.ts';

describe('server-side apply pruning', () => {
  const live = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'd', labels: { a: '1', b: '2', other: 'x' }, uid: 'u' },
    spec: { containers: [{ name: 'app', image: 'i', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }, { name: 'side', image: 's' }], dnsPolicy: 'ClusterFirst' },
  };
  const prev = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: '1', b: '2' } }, spec: { containers: [{ name: 'app', image: 'i', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }, { name: 'side', image: 's' }] } };

  it.each([
    ['a dropped label goes, labels of others stay', { ...prev, metadata: { name: 'p', labels: { a: '1' } } }, (o: typeof live) => o.metadata.labels, { a: '1', other: 'x' }],
    ['a dropped container goes', { ...prev, spec: { containers: [prev.spec.containers[0]!] } }, (o: typeof live) => o.spec.containers.map((c) => c.name), ['app']],
    ['a dropped env var goes, by merge key', { ...prev, spec: { containers: [{ name: 'app', image: 'i', env: [{ name: 'B', value: '2' }] }, prev.spec.containers[1]!] } }, (o: typeof live) => o.spec.containers[0]!.env, [{ name: 'B', value: '2' }]],
    ['fields never applied (defaults, server-set) stay', prev, (o: typeof live) => [o.spec.dnsPolicy, o.metadata.uid], ['ClusterFirst', 'u']],
  ])('%s', (_n, applied, pick, expected) => {
    expect(pick(pruneUnapplied('Pod', live, prev, applied) as typeof live)).toEqual(expected);
  });

  it('never removes identity fields', () => {
    const out = pruneUnapplied('Pod', live, prev, { spec: {} }) as typeof live;
    expect([out.apiVersion, out.kind, out.metadata.name, out.metadata.namespace]).toEqual(['v1', 'Pod', 'p', 'd']);
  });
});

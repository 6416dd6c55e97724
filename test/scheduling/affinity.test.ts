import { describe, expect, it } from 'vitest';
import type { V1NodeSelectorRequirement, V1Taint, V1Toleration } from '@kubernetes/client-node';
import { preferredAffinityWeight, requiredAffinityMatches, tolerates } from '../../src/scheduling/affinity.ts';
import { node, pod } from './fixtures.ts';

const zoneA = node('n1', { labels: { zone: 'a', size: '10' } });

describe('required node affinity', () => {
  const expr = (...matchExpressions: V1NodeSelectorRequirement[]) =>
    pod('p', {}, { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions }] } } } });
  const cases: Array<[string, ReturnType<typeof pod>, boolean]> = [
    ['no constraints', pod('p'), true],
    ['nodeSelector match', pod('p', {}, { nodeSelector: { zone: 'a' } }), true],
    ['nodeSelector mismatch', pod('p', {}, { nodeSelector: { zone: 'b' } }), false],
    ['nodeSelector missing label', pod('p', {}, { nodeSelector: { gpu: 'yes' } }), false],
    ['In', expr({ key: 'zone', operator: 'In', values: ['a', 'b'] }), true],
    ['In without the label', expr({ key: 'gpu', operator: 'In', values: ['a'] }), false],
    ['NotIn', expr({ key: 'zone', operator: 'NotIn', values: ['a'] }), false],
    ['NotIn without the label matches', expr({ key: 'gpu', operator: 'NotIn', values: ['x'] }), true],
    ['Exists', expr({ key: 'zone', operator: 'Exists' }), true],
    ['DoesNotExist', expr({ key: 'zone', operator: 'DoesNotExist' }), false],
    ['Gt', expr({ key: 'size', operator: 'Gt', values: ['9'] }), true],
    ['Gt equal is false', expr({ key: 'size', operator: 'Gt', values: ['10'] }), false],
    ['Lt', expr({ key: 'size', operator: 'Lt', values: ['11'] }), true],
    ['Lt on a non-integer label', expr({ key: 'zone', operator: 'Lt', values: ['11'] }), false],
    ['expressions are ANDed', expr({ key: 'zone', operator: 'In', values: ['a'] }, { key: 'size', operator: 'Gt', values: ['100'] }), false],
    ['terms are ORed', pod('p', {}, { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
      { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z'] }] },
      { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] },
    ] } } } }), true],
    ['an empty term matches nothing', pod('p', {}, { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{}] } } } }), false],
    ['matchFields metadata.name', pod('p', {}, { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
      { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] },
    ] } } } }), true],
    ['matchFields other name', pod('p', {}, { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
      { matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['n1'] }] },
    ] } } } }), false],
  ];
  it.each(cases)('%s', (_name, p, want) => {
    expect(requiredAffinityMatches(p, zoneA)).toBe(want);
  });

  it('preferred weights add up over matching terms', () => {
    const p = pod('p', {}, { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [
      { weight: 10, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
      { weight: 5, preference: { matchExpressions: [{ key: 'size', operator: 'Exists' }] } },
      { weight: 50, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] } },
    ] } } });
    expect(preferredAffinityWeight(p, zoneA)).toBe(15);
  });
});

describe('tolerates', () => {
  const taint: V1Taint = { key: 'virtual-kubelet.io/provider', value: 'cci', effect: 'NoSchedule' };
  const cases: Array<[string, V1Toleration, boolean]> = [
    ['Equal with the value', { key: 'virtual-kubelet.io/provider', operator: 'Equal', value: 'cci', effect: 'NoSchedule' }, true],
    ['operator defaults to Equal', { key: 'virtual-kubelet.io/provider', value: 'cci' }, true],
    ['Equal with another value', { key: 'virtual-kubelet.io/provider', operator: 'Equal', value: 'x' }, false],
    ['Exists on the key', { key: 'virtual-kubelet.io/provider', operator: 'Exists' }, true],
    ['another effect', { key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoExecute' }, false],
    ['another key', { key: 'other', operator: 'Exists' }, false],
    ['empty key with Exists tolerates everything', { operator: 'Exists' }, true],
    ['unknown operator', { key: 'virtual-kubelet.io/provider', operator: 'Matches' }, false],
  ];
  it.each(cases)('%s', (_name, toleration, want) => {
    expect(tolerates(toleration, taint)).toBe(want);
  });
});

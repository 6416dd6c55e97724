import { describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { addPodUsage, holdsResources, podRequests, usageOf } from '../../src/scheduling/resources.ts';
import { bound, pod } from './fixtures.ts';

const asObject = (m: Map<string, bigint>) => Object.fromEntries(m);

describe('podRequests', () => {
  const cases: Array<[string, V1Pod, Record<string, bigint>]> = [
    ['sums app containers', { spec: { containers: [
      { name: 'a', resources: { requests: { cpu: '250m', memory: '64Mi' } } },
      { name: 'b', resources: { requests: { cpu: '0.5', memory: '1Gi' } } },
    ] } }, { cpu: 750n, memory: 64n * 2n ** 20n + 2n ** 30n }],
    ['a larger init container wins per resource', { spec: {
      containers: [{ name: 'a', resources: { requests: { cpu: '1', memory: '1Gi' } } }],
      initContainers: [{ name: 'i', resources: { requests: { cpu: '2', memory: '512Mi' } } }],
    } }, { cpu: 2000n, memory: 2n ** 30n }],
    ['sidecars add to apps and to later init containers', { spec: {
      containers: [{ name: 'a', resources: { requests: { cpu: '1' } } }],
      initContainers: [
        { name: 's', restartPolicy: 'Always', resources: { requests: { cpu: '500m' } } },
        { name: 'i', resources: { requests: { cpu: '1200m' } } },
      ],
    } }, { cpu: 1700n }],
    ['limits stand in for missing requests', { spec: { containers: [
      { name: 'a', resources: { limits: { cpu: '2', 'example.com/gpu': '1' }, requests: { cpu: '1' } } },
    ] } }, { cpu: 1000n, 'example.com/gpu': 1n }],
    ['overhead is added', { spec: { containers: [{ name: 'a', resources: { requests: { cpu: '100m' } } }], overhead: { cpu: '50m', memory: '10Mi' } } },
      { cpu: 150n, memory: 10n * 2n ** 20n }],
    ['fractions of a millicore round up', { spec: { containers: [{ name: 'a', resources: { requests: { cpu: '1u', memory: '1.5' } } }] } },
      { cpu: 1n, memory: 2n }],
    ['no requests', { spec: { containers: [{ name: 'a' }] } }, {}],
  ];
  it.each(cases)('%s', (_name, p, want) => {
    expect(asObject(podRequests(p))).toEqual(want);
  });

  it('nonZero fills in 100m and 200Mi for containers without requests', () => {
    expect(asObject(podRequests(pod('p'), { nonZero: true }))).toEqual({ cpu: 100n, memory: 200n * 2n ** 20n });
  });
});

describe('usage / holdsResources', () => {
  it('counts pods and sums their requests, non-zero ones for scoring', () => {
    const usage = usageOf([pod('a', { cpu: '1' }), pod('b', { cpu: '500m' })]);
    expect(asObject(usage.requested)).toEqual({ cpu: 1500n, pods: 2n });
    expect(asObject(usage.nonZero)).toEqual({ cpu: 1500n, memory: 400n * 2n ** 20n });
  });
  it('removing a pod takes away exactly what adding it put in', () => {
    const a = pod('a', { cpu: '250m', memory: '1Gi' });
    const usage = usageOf([a, pod('b', { cpu: '1' })]);
    addPodUsage(usage, a, -1n);
    expect(asObject(usage.requested)).toEqual({ cpu: 1000n, memory: 0n, pods: 1n });
  });
  it.each([
    ['Running', true],
    ['Pending', true],
    ['Succeeded', false],
    ['Failed', false],
  ])('a bound %s pod holds resources: %s', (phase, want) => {
    expect(holdsResources(bound(pod('a'), 'n1', phase))).toBe(want);
  });
  it('an unbound pod holds nothing', () => {
    expect(holdsResources(pod('a'))).toBe(false);
  });
});

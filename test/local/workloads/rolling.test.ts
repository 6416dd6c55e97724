import { describe, expect, it } from 'vitest';
import { fenceposts, newReplicaSetSize, scaleDownOld } from '../../../src/local/workloads/rolling.ts';

const rs = (name: string, replicas: number, available = replicas, created = '2026-01-01T00:00:00Z') => ({ name, replicas, available, created });

describe('fenceposts', () => {
  it.each([
    ['25%/25% of 4', '25%', '25%', 4, 1, 1],
    ['25%/25% of 3: surge rounds up, unavailable down', '25%', '25%', 3, 1, 0],
    ['0/0 becomes unavailable 1', 0, 0, 3, 0, 1],
    ['absolute values', 2, 1, 10, 2, 1],
    ['unavailable at most replicas', 0, '100%', 2, 0, 2],
  ] as const)('%s', (_n, surge, unavailable, replicas, wantSurge, wantUnavailable) => {
    expect(fenceposts(surge, unavailable, replicas)).toEqual({ surge: wantSurge, unavailable: wantUnavailable });
  });
});

describe('newReplicaSetSize', () => {
  it.each([
    ['a new ReplicaSet grows into the surge room', 3, 1, undefined, [rs('old', 3)], 1],
    ['no room: stays', 3, 1, rs('new', 1), [rs('old', 3)], 1],
    ['room after the old shrank', 3, 1, rs('new', 1), [rs('old', 2)], 2],
    ['never past the replicas', 3, 5, rs('new', 1), [], 3],
  ] as const)('%s', (_n, replicas, surge, newRs, old, want) => {
    expect(newReplicaSetSize(replicas, surge, newRs, old)).toBe(want);
  });
});

describe('scaleDownOld', () => {
  it.each([
    ['keeps minAvailable: one old pod may go when the new one is available', 3, 0, rs('new', 1, 1), [rs('old', 3)], { old: 2 }],
    ['none may go while the new pod is not available (maxUnavailable 0)', 3, 0, rs('new', 1, 0), [rs('old', 3)], {}],
    ['nothing may go while the surge pod is not yet available, not even an unavailable old pod', 3, 0, rs('new', 1, 0), [rs('old', 3, 2)], {}],
    ['with maxUnavailable 1, old unavailable pods are cleaned', 3, 1, rs('new', 1, 0), [rs('old', 3, 2)], { old: 2 }],
    ['the oldest ReplicaSet first', 4, 1, rs('new', 2, 2), [rs('older', 1, 1, '2026-01-01T00:00:00Z'), rs('old', 2, 2, '2026-02-01T00:00:00Z')], { older: 0, old: 1 }],
    ['nothing old left', 3, 1, rs('new', 3), [rs('old', 0, 0)], {}],
  ] as const)('%s', (_n, replicas, unavailable, newRs, old, want) => {
    expect(Object.fromEntries(scaleDownOld(replicas, unavailable, newRs, old))).toEqual(want);
  });
});

import { describe, expect, it } from 'vitest';
import { deletionCost, podsToDelete } from '../../../src/local/workloads/ranking.ts';
import { NOW, pod, type PodState } from './fixtures.ts';

const first = (states: PodState[], related = states): string => podsToDelete(states.map(pod), related.map(pod), 1, NOW)[0]!.metadata!.name!;

describe('podsToDelete (the ReplicaSet controller\'s scale-in order)', () => {
  it.each([
    ['an unscheduled pod before a scheduled one', [{ name: 'a', node: 'n1', readyFor: 60 }, { name: 'b', phase: 'Pending' }], 'b'],
    ['Pending before Running', [{ name: 'a', node: 'n1', phase: 'Running', readyFor: 60 }, { name: 'b', node: 'n1', phase: 'Pending' }], 'b'],
    ['not ready before ready', [{ name: 'a', node: 'n1', readyFor: 60 }, { name: 'b', node: 'n1' }], 'b'],
    ['the lower pod-deletion-cost first', [{ name: 'a', node: 'n1', readyFor: 60, cost: 10 }, { name: 'b', node: 'n1', readyFor: 60, cost: -5 }], 'b'],
    ['cost beats age and restarts', [{ name: 'a', node: 'n1', readyFor: 5, restarts: 9, cost: 100 }, { name: 'b', node: 'n1', readyFor: 9000, cost: 1 }], 'b'],
    ['a pod sharing its node with more of the workload first', [{ name: 'a', node: 'n1', readyFor: 60 }, { name: 'b', node: 'n2', readyFor: 60 }, { name: 'c', node: 'n2', readyFor: 60 }], 'b'],
    ['ready for less time first', [{ name: 'a', node: 'n1', readyFor: 3600 }, { name: 'b', node: 'n2', readyFor: 10 }], 'b'],
    ['more restarts first', [{ name: 'a', node: 'n1', readyFor: 60, restarts: 0 }, { name: 'b', node: 'n2', readyFor: 60, restarts: 4 }], 'b'],
    ['the newer pod first', [{ name: 'a', node: 'n1', readyFor: 60, age: 7200 }, { name: 'b', node: 'n2', readyFor: 60, age: 100 }], 'b'],
  ] as [string, PodState[], string][])('%s', (_name, states, expected) => {
    expect(first(states)).toBe(expected);
  });

  it('returns every pod when asked for at least as many', () => {
    expect(podsToDelete([pod({ name: 'a' })], [], 3, NOW)).toHaveLength(1);
  });

  it.each([['10', 10], ['-3', -3], ['x', 0], ['99999999999', 0], [undefined, 0]])('deletionCost(%s) = %d', (raw, cost) => {
    const p = pod({ name: 'a' });
    if (raw !== undefined) p.metadata!.annotations = { 'controller.kubernetes.io/pod-deletion-cost': raw };
    expect(deletionCost(p)).toBe(cost);
  });
});

import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../src/scheduling/cluster-state.ts';
import { schedule } from '../../src/scheduling/schedule.ts';
import { bound, node, pod } from './fixtures.ts';

/** [pods count, cpu millis] the state counts on a node. */
const usageOn = (state: ClusterState, name: string) => {
  const usage = state.nodeInfos().find((i) => i.node.metadata?.name === name)!.usage.requested;
  return [usage.get('pods'), usage.get('cpu') ?? 0n];
};

describe('ClusterState', () => {
  it('tracks bound pods per node and moves them when they change', () => {
    const state = new ClusterState();
    state.setNode('a', node('a'));
    state.setNode('b', node('b'));
    state.setPod('default/x', bound(pod('x', { cpu: '1' }), 'a'));
    expect(usageOn(state, 'a')).toEqual([1n, 1000n]);
    state.setPod('default/x', bound(pod('x', { cpu: '2' }), 'a'));
    expect(usageOn(state, 'a')).toEqual([1n, 2000n]);
    state.setPod('default/x', bound(pod('x', { cpu: '2' }), 'b'));
    expect([usageOn(state, 'a'), usageOn(state, 'b')]).toEqual([[0n, 0n], [1n, 2000n]]);
    state.setPod('default/x', bound(pod('x', { cpu: '2' }), 'b', 'Succeeded'));
    expect(usageOn(state, 'b')).toEqual([0n, 0n]);
    state.setPod('default/y', bound(pod('y', { cpu: '1' }), 'b'));
    state.setPod('default/y', undefined);
    expect(usageOn(state, 'b')).toEqual([0n, 0n]);
  });

  it('counts assumed pods until the watch shows the binding, so quick decisions do not overcommit', () => {
    const state = new ClusterState();
    state.setNode('a', node('a', { pods: '1' }));
    const p = pod('p');
    expect(schedule(p, state.nodeInfos())).toEqual({ node: 'a' });
    state.assume('default/p', p, 'a');
    expect(schedule(pod('q'), state.nodeInfos())).toMatchObject({ unschedulable: expect.stringContaining('1 Too many pods') });
    state.setPod('default/p', bound(p, 'a'));
    expect(state.isAssumed('default/p')).toBe(false);
    expect(usageOn(state, 'a')).toEqual([1n, 0n]);
  });

  it('forget releases an assumed placement (failed binding)', () => {
    const state = new ClusterState();
    state.setNode('a', node('a'));
    state.assume('default/p', pod('p'), 'a');
    expect(usageOn(state, 'a')).toEqual([1n, 0n]);
    state.forget('default/p');
    expect(usageOn(state, 'a')).toEqual([0n, 0n]);
  });
});

import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../../src/local/scheduler/cluster-state.ts';
import { schedule } from '../../../src/local/scheduler/schedule.ts';
import { bound, node, pod } from './fixtures.ts';

const podsOn = (state: ClusterState, name: string) => state.nodeInfos().find((i) => i.node.metadata?.name === name)?.pods.map((p) => p.metadata?.name);

describe('ClusterState', () => {
  it('tracks bound pods per node and moves them when they change', () => {
    const state = new ClusterState();
    state.setNode('a', node('a'));
    state.setNode('b', node('b'));
    state.setPod('default/x', bound(pod('x'), 'a'));
    expect(podsOn(state, 'a')).toEqual(['x']);
    state.setPod('default/x', bound(pod('x'), 'a', 'Succeeded'));
    expect(podsOn(state, 'a')).toEqual([]);
    state.setPod('default/y', bound(pod('y'), 'b'));
    state.setPod('default/y', undefined);
    expect(podsOn(state, 'b')).toEqual([]);
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
    expect(podsOn(state, 'a')).toEqual(['p']);
  });

  it('forget releases an assumed placement (failed binding)', () => {
    const state = new ClusterState();
    state.setNode('a', node('a'));
    state.assume('default/p', pod('p'), 'a');
    state.forget('default/p');
    expect(podsOn(state, 'a')).toEqual([]);
  });
});

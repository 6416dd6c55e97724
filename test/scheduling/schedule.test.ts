import { describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { filterNode, type NodeInfo } from '../../src/scheduling/filters.ts';
import { podRequests, usageOf } from '../../src/scheduling/resources.ts';
import { NO_NODES_MESSAGE, schedule } from '../../src/scheduling/schedule.ts';
import { bound, node, pod } from './fixtures.ts';

const cci = { key: 'virtual-kubelet.io/provider', value: 'cci', effect: 'NoSchedule' };
const tolerateCci = { tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists' }] };
const info = (n: ReturnType<typeof node>, ...pods: V1Pod[]): NodeInfo => ({ node: n, usage: usageOf(pods) });

describe('filterNode', () => {
  const cases: Array<[string, V1Pod, NodeInfo, string[] | undefined]> = [
    ['fits', pod('p', { cpu: '1' }), info(node('n')), undefined],
    ['unschedulable node', pod('p'), info(node('n', { unschedulable: true })), ['node(s) were unschedulable']],
    ['unschedulable tolerated', pod('p', {}, { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] }),
      info(node('n', { unschedulable: true })), undefined],
    ['requested node name differs', pod('p', {}, { nodeName: 'other' }), info(node('n')), ["node(s) didn't match the requested node name"]],
    ['untolerated taint', pod('p'), info(node('n', { taints: [cci] })), ['node(s) had untolerated taint {virtual-kubelet.io/provider: cci}']],
    ['tolerated taint', pod('p', {}, tolerateCci), info(node('n', { taints: [cci] })), undefined],
    ['NoExecute taint must be tolerated', pod('p'), info(node('n', { taints: [{ key: 'k', effect: 'NoExecute' }] })), ['node(s) had untolerated taint {k: }']],
    ['PreferNoSchedule does not filter', pod('p'), info(node('n', { taints: [{ key: 'k', effect: 'PreferNoSchedule' }] })), undefined],
    ['NotReady node is tainted not-ready', pod('p'), info(node('n', { ready: 'False' })), ['node(s) had untolerated taint {node.kubernetes.io/not-ready: }']],
    ['Unknown node is tainted unreachable', pod('p'), info(node('n', { ready: 'Unknown' })), ['node(s) had untolerated taint {node.kubernetes.io/unreachable: }']],
    ['node without Ready condition', pod('p'), info(node('n', { ready: 'missing' })), ['node(s) had untolerated taint {node.kubernetes.io/not-ready: }']],
    ['not-ready tolerated (DaemonSet style)', pod('p', {}, { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }] }),
      info(node('n', { ready: 'False' })), undefined],
    ['selector mismatch', pod('p', {}, { nodeSelector: { zone: 'b' } }), info(node('n')), ["node(s) didn't match Pod's node affinity/selector"]],
    ['taint reported before affinity', pod('p', {}, { nodeSelector: { zone: 'b' } }), info(node('n', { taints: [cci] })),
      ['node(s) had untolerated taint {virtual-kubelet.io/provider: cci}']],
    ['insufficient cpu and memory', pod('p', { cpu: '3', memory: '8Gi' }), info(node('n', { cpu: '4' }), bound(pod('a', { cpu: '2', memory: '1Gi' }), 'n')),
      ['Insufficient cpu', 'Insufficient memory']],
    ['exact fit', pod('p', { cpu: '2', memory: '7Gi' }), info(node('n'), bound(pod('a', { cpu: '2', memory: '1Gi' }), 'n')), undefined],
    ['too many pods', pod('p'), info(node('n', { pods: '1' }), bound(pod('a'), 'n')), ['Too many pods']],
    ['extended resource missing on node', pod('p', { 'example.com/gpu': '1' }), info(node('n')), ['Insufficient example.com/gpu']],
    ['extended resource available', pod('p', { 'example.com/gpu': '1' }), info(node('n', { extra: { 'example.com/gpu': '2' } })), undefined],
    ['ephemeral-storage', pod('p', { 'ephemeral-storage': '2Gi' }), info(node('n', { extra: { 'ephemeral-storage': '1Gi' } })), ['Insufficient ephemeral-storage']],
  ];
  it.each(cases)('%s', (_name, p, nodeInfo, want) => {
    expect(filterNode(p, podRequests(p), nodeInfo)?.reasons).toEqual(want);
  });
});

describe('schedule', () => {
  it('binds a tolerating pod to the tainted node and explains the rest', () => {
    const nodes = [info(node('burst', { taints: [cci] })), info(node('small', { cpu: '1' })), info(node('tiny', { cpu: '500m' }))];
    expect(schedule(pod('p', { cpu: '2' }, tolerateCci), nodes)).toEqual({ node: 'burst' });
    expect(schedule(pod('p', { cpu: '2' }), nodes)).toEqual({
      unschedulable:
        '0/3 nodes are available: 1 node(s) had untolerated taint {virtual-kubelet.io/provider: cci}, 2 Insufficient cpu. ' +
        'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.',
    });
  });

  it('counts multiple reasons of one node separately', () => {
    const nodes = [info(node('a', { cpu: '1', memory: '1Gi' })), info(node('b', { cpu: '1', memory: '8Gi' }))];
    expect(schedule(pod('p', { cpu: '2', memory: '2Gi' }), nodes)).toEqual({
      unschedulable:
        '0/2 nodes are available: 1 Insufficient memory, 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
    });
  });

  it('says so when preemption is disabled for the pod', () => {
    const result = schedule(pod('p', { cpu: '8' }, { preemptionPolicy: 'Never' }), [info(node('a'))]);
    expect(result).toEqual({ unschedulable: '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.' });
  });

  it('has a message for an empty cluster', () => {
    expect(schedule(pod('p'), [])).toEqual({ unschedulable: NO_NODES_MESSAGE });
  });

  it('prefers the node with the heavier preferred affinity', () => {
    const p = pod('p', {}, { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [
      { weight: 1, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['hdd'] }] } },
      { weight: 80, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
    ] } } });
    const nodes = [info(node('a', { labels: { disk: 'hdd' } })), info(node('b', { labels: { disk: 'ssd' } })), info(node('c'))];
    expect(schedule(p, nodes)).toEqual({ node: 'b' });
  });

  it('spreads by least allocated resources', () => {
    const busy = info(node('a'), bound(pod('x', { cpu: '3', memory: '6Gi' }), 'a'));
    expect(schedule(pod('p', { cpu: '500m', memory: '512Mi' }), [busy, info(node('b'))])).toEqual({ node: 'b' });
  });

  it('avoids untolerated PreferNoSchedule taints', () => {
    const nodes = [info(node('a', { taints: [{ key: 'k', effect: 'PreferNoSchedule' }] })), info(node('b'))];
    expect(schedule(pod('p'), nodes)).toEqual({ node: 'b' });
  });

  it('breaks ties by node name, whatever the input order', () => {
    expect(schedule(pod('p'), [info(node('z')), info(node('m'))])).toEqual({ node: 'm' });
    expect(schedule(pod('p'), [info(node('m')), info(node('z'))])).toEqual({ node: 'm' });
  });
});

import { describe, expect, it } from 'vitest';
import type { Node } from '../../src/kube/wire.ts';
import { notSchedulableBecause } from '../../src/local/schedulable-nodes.ts';

const node = (o: { ready?: string; taints?: { key: string; effect: string }[]; unschedulable?: boolean } = {}): Node => ({
  metadata: { name: 'n' },
  spec: { ...(o.taints ? { taints: o.taints } : {}), ...(o.unschedulable ? { unschedulable: true } : {}) },
  status: { conditions: o.ready === undefined ? [] : [{ type: 'Ready', status: o.ready }] },
});

describe('notSchedulableBecause', () => {
  it.each([
    ['not registered', undefined, 'not registered'],
    ['Ready not reported yet', node(), 'Ready is not reported'],
    ['Ready False', node({ ready: 'False' }), 'Ready is False'],
    ['Ready, still carrying the taint every new Node gets', node({ ready: 'True', taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] }), 'tainted node.kubernetes.io/not-ready:NoSchedule'],
    ['unreachable', node({ ready: 'True', taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] }), 'tainted node.kubernetes.io/unreachable:NoExecute'],
    ['cordoned', node({ ready: 'True', unschedulable: true }), 'cordoned (spec.unschedulable)'],
    ['Ready, with only its own taint (the burst node\'s)', node({ ready: 'True', taints: [{ key: 'virtual-kubelet.io/provider', effect: 'NoSchedule' }] }), undefined],
    ['Ready, untainted', node({ ready: 'True' }), undefined],
  ])('%s', (_name, n, want) => {
    expect(notSchedulableBecause(n)).toBe(want);
  });
});

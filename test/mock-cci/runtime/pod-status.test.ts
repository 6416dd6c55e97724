import type { V1ContainerStatus } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { deriveConditions, podPhase, withTransitionTimes } from '../../../src/mock-cci/runtime/pod-status.ts';

const running: V1ContainerStatus = { name: 'r', image: 'i', imageID: '', ready: true, restartCount: 0, state: { running: {} } };
const ok: V1ContainerStatus = { name: 'ok', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0 } } };
const bad: V1ContainerStatus = { name: 'bad', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 3 } } };
const creating: V1ContainerStatus = { name: 'w', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } };
const backoff: V1ContainerStatus = { ...creating, name: 'b', state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1 } } };

describe('podPhase', () => {
  it.each([
    ['init pending', 'Always', false, false, [running], 'Pending'],
    ['init failed', 'Never', false, true, [creating], 'Failed'],
    ['creating', 'Always', true, false, [creating], 'Pending'],
    ['running', 'Always', true, false, [running, ok], 'Running'],
    ['crash loop', 'Always', true, false, [backoff], 'Running'],
    ['all succeeded, Never', 'Never', true, false, [ok, ok], 'Succeeded'],
    ['all succeeded, Always', 'Always', true, false, [ok], 'Running'],
    ['one failed, Never', 'Never', true, false, [ok, bad], 'Failed'],
    ['one failed, OnFailure', 'OnFailure', true, false, [ok, bad], 'Running'],
    ['all succeeded, OnFailure', 'OnFailure', true, false, [ok], 'Succeeded'],
  ] as const)('%s', (_n, restartPolicy, initDone, initFailed, containers, phase) => {
    expect(podPhase({ restartPolicy, initDone, initFailed, containers })).toBe(phase);
  });
});

describe('deriveConditions', () => {
  it('not ready lists the unready containers; init incomplete lists init containers', () => {
    const c = deriveConditions({ phase: 'Pending', sandboxReady: true, initDone: false, init: [ok, creating], containers: [creating] });
    expect(c).toEqual([
      { type: 'PodReadyToStartContainers', status: 'True' },
      { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [w]' },
      { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [w]' },
      { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [w]' },
      { type: 'PodScheduled', status: 'True' },
    ]);
  });
  it('ready when every container is', () => {
    const c = deriveConditions({ phase: 'Running', sandboxReady: true, initDone: true, init: [], containers: [running] });
    expect(c.map((x) => x.status)).toEqual(['True', 'True', 'True', 'True', 'True']);
  });
  it('completed pods say PodCompleted', () => {
    const c = deriveConditions({ phase: 'Succeeded', sandboxReady: true, initDone: true, init: [], containers: [ok] });
    expect(c.find((x) => x.type === 'Ready')).toEqual({ type: 'Ready', status: 'False', reason: 'PodCompleted' });
  });
  it('keeps transition times while the status holds', () => {
    const t1 = new Date(1000);
    const t2 = new Date(2000);
    const first = withTransitionTimes([], [{ type: 'Ready', status: 'False' }], t1);
    const same = withTransitionTimes(first, [{ type: 'Ready', status: 'False' }], t2);
    const flipped = withTransitionTimes(same, [{ type: 'Ready', status: 'True' }], t2);
    expect([same[0]!.lastTransitionTime, flipped[0]!.lastTransitionTime]).toEqual([t1, t2]);
  });
});

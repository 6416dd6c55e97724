import { describe, expect, it } from 'vitest';
import type { ContainerStatus } from '../../../src/kube/wire.ts';
import { containerEvents, podFailureEvent } from '../../../src/provider/pods/container-events.ts';

const waiting = (reason: string, restartCount = 0, message?: string): ContainerStatus => ({ name: 'c', image: 'busybox', imageID: '', ready: false, restartCount, state: { waiting: { reason, ...(message ? { message } : {}) } } });
const running = (restartCount = 0): ContainerStatus => ({ name: 'c', image: 'busybox', imageID: '', ready: true, restartCount, state: { running: { startedAt: 't' } } });
const exited = (restartCount = 0): ContainerStatus => ({ name: 'c', image: 'busybox', imageID: '', ready: false, restartCount, state: { terminated: { exitCode: 3 } } });

const reasons = (b: ContainerStatus[] | undefined, a: ContainerStatus[]) => containerEvents(b, a, 'containers').map((e) => e.reason);

describe('containerEvents', () => {
  it.each([
    ['first start', [waiting('ContainerCreating')], [running()], ['Started']],
    ['first seen already running', undefined, [running()], ['Started']],
    ['first seen already exited', undefined, [exited()], ['Started']],
    ['no change', [running()], [running()], []],
    ['exit of a running container', [running()], [exited()], []],
    ['restart', [exited()], [running(1)], ['Started']],
    ['restart seen late, already exited again', [running(1)], [exited(2)], ['Started']],
    ['crash loop entered', [exited(1)], [waiting('CrashLoopBackOff', 1)], ['BackOff']],
    ['crash loop continues', [waiting('CrashLoopBackOff', 1)], [waiting('CrashLoopBackOff', 1)], []],
    ['still creating', [waiting('ContainerCreating')], [waiting('ContainerCreating')], []],
    ['image pull failed', [waiting('ContainerCreating')], [waiting('ErrImagePull')], ['Failed', 'Failed']],
    ['image pull backing off', [waiting('ErrImagePull')], [waiting('ImagePullBackOff')], ['BackOff', 'Failed']],
    ['image pull retried', [waiting('ImagePullBackOff')], [waiting('ErrImagePull')], ['Failed', 'Failed']],
    ['invalid image name', [waiting('ContainerCreating')], [waiting('InvalidImageName')], ['InspectFailed', 'Failed']],
    ['a container that could not start', [waiting('ContainerCreating')], [{ ...exited(), state: { terminated: { exitCode: 128, reason: 'StartError', message: 'exec: "nope": executable file not found in $PATH' } } }], ['Failed']],
    // A status write may first show a container in back-off, its failed instance only in lastState (CI saw no event then).
    ['a container that could not start, first seen in back-off', [waiting('ContainerCreating')], [{ ...waiting('CrashLoopBackOff', 1), lastState: { terminated: { exitCode: 128, reason: 'StartError', message: 'exec: "nope"' } } }], ['Failed', 'BackOff']],
    ['the running instance ended and backs off: nothing new was created', [running(1)], [{ ...waiting('CrashLoopBackOff', 1), lastState: { terminated: { exitCode: 3 } } }], ['BackOff']],
  ] as const)('%s', (_n, before, after, expected) => {
    expect(reasons(before ? [...before] : undefined, [...after])).toEqual(expected);
  });
  it('says what the kubelet says about an image that cannot be pulled', () => {
    const events = containerEvents([waiting('ContainerCreating')], [waiting('ErrImagePull', 0, 'lookup registry.invalid: no such host')], 'containers');
    expect(events.map((e) => `${e.type} ${e.reason}: ${e.message}`)).toEqual([
      'Warning Failed: Failed to pull image "busybox": lookup registry.invalid: no such host',
      'Warning Failed: Error: ErrImagePull',
    ]);
    expect(containerEvents([waiting('ErrImagePull')], [waiting('ImagePullBackOff')], 'containers').map((e) => `${e.type} ${e.reason}: ${e.message}`))
      .toEqual(['Normal BackOff: Back-off pulling image "busybox"', 'Warning Failed: Error: ImagePullBackOff']);
  });

  it.each([
    ['a sandbox failure', undefined, { reason: 'FailedCreatePodSandBox', message: 'Failed to create pod sandbox: x' }, 'FailedCreatePodSandBox'],
    ['a volume failure', {}, { reason: 'FailedMount', message: 'MountVolume.SetUp failed for volume "v" : x' }, 'FailedMount'],
    ['the same failure again', { reason: 'FailedMount' }, { reason: 'FailedMount', message: 'm' }, undefined],
    ['a reason that is no failure', {}, { reason: 'Evicted', message: 'm' }, undefined],
  ] as const)('podFailureEvent: %s', (_n, before, after, reason) => {
    expect(podFailureEvent(before, after)?.reason).toBe(reason);
  });

  it('names the container in fieldPath and message', () => {
    expect(containerEvents(undefined, [running()], 'initContainers')).toEqual([
      { type: 'Normal', reason: 'Started', message: 'Started container c', fieldPath: 'spec.initContainers{c}' },
    ]);
  });
});

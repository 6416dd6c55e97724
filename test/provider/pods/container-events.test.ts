import { describe, expect, it } from 'vitest';
import type { ContainerStatus } from '../../../src/kube/wire.ts';
import { containerEvents } from '../../../src/provider/pods/container-events.ts';

const waiting = (reason: string, restartCount = 0): ContainerStatus => ({ name: 'c', image: 'busybox', imageID: '', ready: false, restartCount, state: { waiting: { reason } } });
const running = (restartCount = 0): ContainerStatus => ({ name: 'c', image: 'busybox', imageID: '', ready: true, restartCount, state: { running: { startedAt: 't' } } });
const exited = (restartCount = 0): ContainerStatus => ({ name: 'c', image: 'busybox', imageID: '', ready: false, restartCount, state: { terminated: { exitCode: 3 } } });

const reasons = (b: ContainerStatus[] | undefined, a: ContainerStatus[]) => containerEvents(b, a, 'containers').map((e) => e.reason);

describe('containerEvents', () => {
  it.each([
    ['first start', [waiting('ContainerCreating')], [running()], ['Created', 'Started']],
    ['first seen already running', undefined, [running()], ['Created', 'Started']],
    ['first seen already exited', undefined, [exited()], ['Created', 'Started']],
    ['no change', [running()], [running()], []],
    ['exit of a running container', [running()], [exited()], []],
    ['restart', [exited()], [running(1)], ['Created', 'Started']],
    ['restart seen late, already exited again', [running(1)], [exited(2)], ['Created', 'Started']],
    ['crash loop entered', [exited(1)], [waiting('CrashLoopBackOff', 1)], ['BackOff']],
    ['crash loop continues', [waiting('CrashLoopBackOff', 1)], [waiting('CrashLoopBackOff', 1)], []],
    ['still creating', [waiting('ContainerCreating')], [waiting('ContainerCreating')], []],
  ] as const)('%s', (_n, before, after, expected) => {
    expect(reasons(before ? [...before] : undefined, [...after])).toEqual(expected);
  });
  it('names the container in fieldPath and message', () => {
    const [created, started] = containerEvents(undefined, [running()], 'initContainers');
    expect(created).toMatchObject({ fieldPath: 'spec.initContainers{c}', message: 'Created container: c' });
    expect(started!.message).toBe('Started container c');
  });
});

import { describe, expect, it } from 'vitest';
import type { Pod, PodStatus } from '../../../src/kube/wire.ts';
import { configErrorStatus, failedStatus, statusPatch } from '../../../src/provider/pods/pod-status.ts';
import { qosClass } from '../../../src/provider/pods/qos.ts';
import { ctx, pod } from './fixtures.ts';

/** A Running status, as a provider would report it. */
function runningStatus(p: Pod, podIP?: string): PodStatus {
  return {
    phase: 'Running',
    conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: ctx.now }, { type: 'Ready', status: 'True', lastTransitionTime: ctx.now }],
    hostIP: ctx.nodeIP,
    hostIPs: [{ ip: ctx.nodeIP }],
    qosClass: qosClass(p),
    containerStatuses: [{ name: 'a', image: 'busybox', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: ctx.now } } }],
    ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}),
  };
}

describe('qosClass', () => {
  it.each([
    ['no resources', [{ name: 'a' }], 'BestEffort'],
    ['zero requests', [{ name: 'a', requests: { cpu: '0' } }], 'BestEffort'],
    ['limits only (requests default to limits)', [{ name: 'a', limits: { cpu: '1', memory: '1Gi' } }], 'Guaranteed'],
    ['equal requests and limits in other notation', [{ name: 'a', requests: { cpu: '1000m', memory: '1024Mi' }, limits: { cpu: '1', memory: '1Gi' } }], 'Guaranteed'],
    ['cpu only', [{ name: 'a', requests: { cpu: '1' }, limits: { cpu: '1' } }], 'Burstable'],
    ['requests below limits', [{ name: 'a', requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }], 'Burstable'],
    ['one guaranteed, one best effort', [{ name: 'a', limits: { cpu: '1', memory: '1Gi' } }, { name: 'b' }], 'Burstable'],
    // Issue #12 item 6: a refused pod's Failed status was never written, qosClass threw on it.
    ['a quantity that is none (the pod is refused for it)', [{ name: 'a', requests: { cpu: 'lots' }, limits: { cpu: '1e999999999' } }], 'BestEffort'],
  ] as const)('%s → %s', (_name, containers, expected) => {
    expect(qosClass(pod([...containers]))).toBe(expected);
  });
});

describe('statusPatch', () => {
  const base = pod([{ name: 'a' }]);
  const desired = runningStatus(base, '198.18.0.7');

  it('patches every changed field of an empty status', () => {
    const patch = statusPatch(base, desired)!;
    expect(Object.keys(patch.status!).sort()).toEqual(['conditions', 'containerStatuses', 'hostIP', 'hostIPs', 'phase', 'podIP', 'podIPs', 'qosClass']);
  });

  it('is undefined when the status already matches, whatever the key order', () => {
    const reordered = JSON.parse(JSON.stringify({ ...desired, phase: desired.phase })) as Pod['status'];
    expect(statusPatch({ ...base, status: reordered }, desired)).toBeUndefined();
  });

  it('ignores condition times and order, but not condition status', () => {
    const current = { ...desired, conditions: desired.conditions!.map((c) => ({ ...c, lastTransitionTime: '2020-01-01T00:00:00Z' })).reverse() };
    expect(statusPatch({ ...base, status: current }, desired)).toBeUndefined();
    const flipped = { ...desired, conditions: [{ type: 'Ready', status: 'False' }] };
    expect(statusPatch({ ...base, status: desired }, flipped)?.status).toEqual({ conditions: flipped.conditions });
  });

  it('writes times as the API server keeps them (whole seconds), and then finds nothing to write (a real apiserver drops the milliseconds)', () => {
    const withMillis: PodStatus = {
      ...desired,
      startTime: '2026-12-05T15:40:30.250Z',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-12-05T15:40:30.000Z' }],
      containerStatuses: [{
        name: 'a', image: 'busybox', imageID: '', ready: false, restartCount: 1,
        state: { terminated: { exitCode: 1, startedAt: '2026-12-05T15:40:31.999Z', finishedAt: '2026-12-05T16:40:31.5+01:00' } },
        lastState: { running: { startedAt: '2026-12-05T15:40:29.001Z' } },
      }],
    };
    const written = statusPatch(base, withMillis)!.status!;
    expect(written.startTime).toBe('2026-12-05T15:40:30Z');
    expect(written.conditions).toEqual([{ type: 'Ready', status: 'True', lastTransitionTime: '2026-12-05T15:40:30Z' }]);
    expect(written.containerStatuses).toEqual([{
      name: 'a', image: 'busybox', imageID: '', ready: false, restartCount: 1,
      state: { terminated: { exitCode: 1, startedAt: '2026-12-05T15:40:31Z', finishedAt: '2026-12-05T15:40:31Z' } },
      lastState: { running: { startedAt: '2026-12-05T15:40:29Z' } },
    }]);
    const stored = { ...base, status: JSON.parse(JSON.stringify({ ...desired, ...written })) as Pod['status'] };
    expect(statusPatch(stored, withMillis)).toBeUndefined();
  });

  it('only sends what changed, and null for what must be cleared', () => {
    const current = { ...desired, reason: 'Old', phase: 'Pending' };
    expect(statusPatch({ ...base, status: current }, desired)).toEqual({ status: { phase: 'Running', reason: null } });
  });
});

describe('statusPatch with annotations', () => {
  const p = { ...pod([{ name: 'a' }]), metadata: { name: 'p', namespace: 'ns', uid: 'u1', annotations: { keep: 'me', 'burstlet.io/flavor-cpu': '1' } } };
  const desired = runningStatus(p);
  const synced = { ...p, status: desired };

  it('adds only the missing or different annotations, in the same request as the status', () => {
    const patch = statusPatch(p, desired, { 'burstlet.io/flavor-cpu': '1', 'burstlet.io/flavor-memory': '2Gi' })!;
    expect(patch.metadata).toEqual({ annotations: { 'burstlet.io/flavor-memory': '2Gi' } });
    expect(patch.status!.phase).toBe('Running');
  });

  it('patches annotations alone when the status matches, and nothing when both match', () => {
    expect(statusPatch(synced, desired, { 'burstlet.io/flavor-cpu': '2' })).toEqual({ metadata: { annotations: { 'burstlet.io/flavor-cpu': '2' } } });
    expect(statusPatch(synced, desired, { 'burstlet.io/flavor-cpu': '1' })).toBeUndefined();
  });
});

describe('configErrorStatus and failedStatus', () => {
  it('puts CreateContainerConfigError on every container while Pending', () => {
    const s = configErrorStatus(pod([{ name: 'a' }, { name: 'b' }]), 'configmap "cm" not found', ctx);
    expect(s.phase).toBe('Pending');
    expect(s.containerStatuses!.map((c) => c.state)).toEqual([
      { waiting: { reason: 'CreateContainerConfigError', message: 'configmap "cm" not found' } },
      { waiting: { reason: 'CreateContainerConfigError', message: 'configmap "cm" not found' } },
    ]);
  });

  it('fails with reason and message, terminating running containers and keeping finished ones', () => {
    const p = pod([{ name: 'a' }, { name: 'b' }], {
      phase: 'Running',
      containerStatuses: [
        { name: 'a', image: 'busybox', imageID: '', ready: true, restartCount: 1, state: { running: { startedAt: '2026-01-01T00:00:00Z' } } },
        { name: 'b', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 3 } } },
      ],
    });
    const s = failedStatus(p, 'ProviderPodMissing', 'gone', ctx);
    expect(s).toMatchObject({ phase: 'Failed', reason: 'ProviderPodMissing', message: 'gone' });
    expect(s.containerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 137, reason: 'ProviderPodMissing', startedAt: '2026-01-01T00:00:00Z' });
    expect(s.containerStatuses![0]!.restartCount).toBe(1);
    expect(s.containerStatuses![1]!.state).toEqual({ terminated: { exitCode: 3 } });
    expect(s.conditions!.find((c) => c.type === 'Ready')!.status).toBe('False');
  });
});

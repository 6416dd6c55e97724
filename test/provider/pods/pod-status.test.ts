import { describe, expect, it } from 'vitest';
import type { CciPod } from '../../../src/cci/types.ts';
import type { Pod } from '../../../src/provider/kube/wire.ts';
import { cciPodName } from '../../../src/provider/pods/naming.ts';
import { configErrorStatus, failedStatus, flavorAnnotations, sidecarCause, statusFromCci, statusPatch } from '../../../src/provider/pods/pod-status.ts';
import { qosClass } from '../../../src/provider/pods/qos.ts';

const ctx = { nodeIP: '10.0.0.1', now: '2026-01-01T00:00:00Z' };

function pod(containers: { name: string; requests?: Record<string, string>; limits?: Record<string, string> }[], status?: Pod['status']): Pod {
  return {
    metadata: { name: 'p', namespace: 'ns', uid: 'u1' },
    spec: { containers: containers.map((c) => ({ name: c.name, image: 'busybox', resources: { requests: c.requests, limits: c.limits } })) },
    ...(status ? { status } : {}),
  };
}

function cci(status: Record<string, unknown>): CciPod {
  return { apiVersion: 'cci/v2', kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [], restartPolicy: 'Always', hostname: 'p', dnsConfig: { nameservers: [], searches: [], options: [] } }, status: status as unknown as CciPod['status'] };
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
  ] as const)('%s → %s', (_name, containers, expected) => {
    expect(qosClass(pod([...containers]))).toBe(expected);
  });
});

describe('cciPodName', () => {
  it('is a DNS label, stable per uid and different across uids', () => {
    const a = cciPodName('default', 'web-0', 'uid-1');
    expect(a).toMatch(/^default-web-0-[0-9a-f]{10}$/);
    expect(cciPodName('default', 'web-0', 'uid-1')).toBe(a);
    expect(cciPodName('default', 'web-0', 'uid-2')).not.toBe(a);
    const long = cciPodName('n'.repeat(63), 'p'.repeat(200), 'u');
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
  });
});

describe('statusFromCci', () => {
  const running = {
    phase: 'Running',
    podIP: '198.18.0.7',
    startTime: '2026-01-01T00:00:01Z',
    conditions: [
      { type: 'Initialized', status: 'True', lastTransitionTime: '2026-01-01T00:00:01Z' },
      { type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:02Z' },
    ],
    containerStatuses: [
      { name: 'burstlet-network', image: 'sidecar', imageID: '', ready: true, restartCount: 0 },
      { name: 'b', image: 'busybox', imageID: 'sha', ready: true, restartCount: 2, state: { running: { startedAt: '2026-01-01T00:00:02Z' } } },
      { name: 'a', image: 'busybox', imageID: 'sha', ready: true, restartCount: 0, state: { running: { startedAt: '2026-01-01T00:00:02Z' } } },
    ],
  };

  it('copies phase, IPs, conditions and statuses, hides the sidecar, orders by spec, adds PodScheduled and qosClass', () => {
    const s = statusFromCci(pod([{ name: 'a' }, { name: 'b' }]), cci(running), ctx);
    expect(s.phase).toBe('Running');
    expect(s.podIP).toBe('198.18.0.7');
    expect(s.podIPs).toEqual([{ ip: '198.18.0.7' }]);
    expect(s.hostIP).toBe('10.0.0.1');
    expect(s.qosClass).toBe('BestEffort');
    expect(s.startTime).toBe('2026-01-01T00:00:01Z');
    expect(s.containerStatuses!.map((c) => c.name)).toEqual(['a', 'b']);
    expect(s.containerStatuses![1]!.restartCount).toBe(2);
    expect(s.conditions!.map((c) => c.type)).toEqual(['PodScheduled', 'Initialized', 'Ready', 'burstlet.io/NetworkReady']);
  });

  it.each([
    ['sidecar unready, app ready: pod Ready, NetworkReady False', false, true, 'True', 'False'],
    ['sidecar ready, app unready: pod not Ready, NetworkReady True', true, false, 'False', 'True'],
    ['both ready', true, true, 'True', 'True'],
  ])('%s', (_name, sidecarReady, appReady, ready, network) => {
    const status = {
      ...running,
      conditions: [
        { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [burstlet-network]' },
        { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [burstlet-network]' },
      ],
      containerStatuses: [
        { name: 'burstlet-network', image: 'sidecar', imageID: '', ready: sidecarReady, restartCount: 0 },
        { name: 'a', image: 'busybox', imageID: 'sha', ready: appReady, restartCount: 0 },
      ],
    };
    const s = statusFromCci(pod([{ name: 'a' }]), cci(status), ctx);
    const byType = new Map(s.conditions!.map((c) => [c.type, c]));
    expect(byType.get('Ready')!.status).toBe(ready);
    expect(byType.get('ContainersReady')!.status).toBe(ready);
    if (ready === 'False') expect(byType.get('Ready')!.message).toBe('containers with unready status: [a]');
    expect(byType.get('burstlet.io/NetworkReady')!.status).toBe(network);
  });

  it.each([
    ['Never, exit 0: Succeeded', 'Never', [0], 'Succeeded'],
    ['Never, one exits 1: Failed', 'Never', [0, 1], 'Failed'],
    ['Never, one still running: Running', 'Never', [0, undefined], 'Running'],
    ['OnFailure, exit 0: Succeeded', 'OnFailure', [0], 'Succeeded'],
    ['OnFailure, exit 1: Running (it restarts)', 'OnFailure', [1], 'Running'],
    ['Always, exit 0: Running (it restarts)', 'Always', [0], 'Running'],
  ] as [string, string, (number | undefined)[], string][])('the user\'s containers decide the phase while the sidecar runs: %s', (_name, restartPolicy, exits, phase) => {
    const names = exits.map((_, i) => `c${i}`);
    const status = {
      ...running,
      containerStatuses: [
        { name: 'burstlet-network', image: 'sidecar', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: '2026-01-01T00:00:01Z' } } },
        ...exits.map((code, i) => ({
          name: names[i]!, image: 'busybox', imageID: '', ready: code === undefined, restartCount: 0,
          state: code === undefined ? { running: { startedAt: '2026-01-01T00:00:02Z' } } : { terminated: { exitCode: code, reason: code === 0 ? 'Completed' : 'Error' } },
        })),
      ],
    };
    const p = pod(names.map((name) => ({ name })));
    p.spec!.restartPolicy = restartPolicy;
    const s = statusFromCci(p, cci(status), ctx);
    expect(s.phase).toBe(phase);
    if (phase === 'Succeeded' || phase === 'Failed') expect(s.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
  });

  it('NetworkReady carries the sidecar\'s last error when it is known', () => {
    const status = { ...running, containerStatuses: [{ name: 'burstlet-network', image: 'sidecar', imageID: '', ready: false, restartCount: 0 }, { name: 'a', image: 'busybox', imageID: '', ready: true, restartCount: 0 }] };
    const error = 'the DNAT rules could not be installed: nft is not installed (Debian package nftables)';
    const s = statusFromCci(pod([{ name: 'a' }]), cci(status), { ...ctx, sidecarError: error });
    expect(s.conditions!.find((c) => c.type === 'burstlet.io/NetworkReady')!.message)
      .toBe(`the burstlet-network sidecar is not ready (${error}): ClusterIP Services and cluster DNS may be unreachable from this pod`);
  });

  it.each([
    ['the sidecar image cannot be pulled', { waiting: { reason: 'ErrImagePull', message: 'no such host' } }, 'log error', 'ErrImagePull: no such host'],
    ['the sidecar is starting: its log tells', { waiting: { reason: 'ContainerCreating' } }, 'log error', 'log error'],
    ['running but unready: its log tells', { running: { startedAt: 't' } }, undefined, undefined],
  ] as const)('sidecarCause: %s', (_n, state, logged, cause) => {
    expect(sidecarCause({ name: 'burstlet-network', image: 'x', imageID: '', ready: false, restartCount: 0, state }, logged)).toBe(cause);
  });

  it('keeps the scheduler\'s PodScheduled condition', () => {
    const scheduled = { type: 'PodScheduled', status: 'True', lastTransitionTime: '2025-12-31T00:00:00Z' };
    const s = statusFromCci(pod([{ name: 'a' }], { phase: 'Pending', conditions: [scheduled] }), cci(running), ctx);
    expect(s.conditions![0]).toEqual(scheduled);
  });

  it('shows ContainerCreating while CCI reports no container statuses', () => {
    const s = statusFromCci(pod([{ name: 'a' }]), cci({ phase: 'Pending' }), ctx);
    expect(s.containerStatuses![0]!.state).toEqual({ waiting: { reason: 'ContainerCreating' } });
    expect(s.podIP).toBeUndefined();
  });
});

describe('statusPatch', () => {
  const base = pod([{ name: 'a' }]);
  const desired = statusFromCci(base, cci({ phase: 'Running', podIP: '198.18.0.7' }), ctx);

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

  it('only sends what changed, and null for what must be cleared', () => {
    const current = { ...desired, reason: 'Old', phase: 'Pending' };
    expect(statusPatch({ ...base, status: current }, desired)).toEqual({ status: { phase: 'Running', reason: null } });
  });
});

describe('statusPatch with annotations', () => {
  const p = { ...pod([{ name: 'a' }]), metadata: { name: 'p', namespace: 'ns', uid: 'u1', annotations: { keep: 'me', 'burstlet.io/flavor-cpu': '1' } } };
  const desired = statusFromCci(p, cci({ phase: 'Running' }), ctx);
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

  it('flavorAnnotations copies the CCI pod\'s flavor annotations only', () => {
    const c = cci({ phase: 'Running' });
    c.metadata.annotations = { 'burstlet.io/flavor-cpu': '0.25', 'burstlet.io/flavor-memory': '512Mi', other: 'x' };
    expect(flavorAnnotations(c)).toEqual({ 'burstlet.io/flavor-cpu': '0.25', 'burstlet.io/flavor-memory': '512Mi' });
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

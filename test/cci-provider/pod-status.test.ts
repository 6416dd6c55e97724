import { describe, expect, it } from 'vitest';
import type { CciPod } from '../../src/cci/types.ts';
import { cciPodName, ownedBy, ownershipLabels } from '../../src/cci-provider/naming.ts';
import { flavorAnnotations, sidecarCause, statusFromCci } from '../../src/cci-provider/pod-status.ts';
import { ctx, pod } from '../provider/pods/fixtures.ts';

function cci(status: Record<string, unknown>): CciPod {
  return { apiVersion: 'cci/v2', kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [], restartPolicy: 'Always', hostname: 'p', dnsConfig: { nameservers: [], searches: [], options: [] } }, status: status as unknown as CciPod['status'] };
}

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

describe('ownershipLabels', () => {
  it.each([
    ['plain names', { clusterId: '3f1c-uid', nodeName: 'burst-1' }, { 'burstlet.io/cluster': '3f1c-uid', 'burstlet.io/node': 'burst-1' }],
    ['a node name longer than a label value is hashed', { clusterId: 'c', nodeName: `${'n'.repeat(70)}.zone-a.example` }, { 'burstlet.io/cluster': 'c', 'burstlet.io/node': expect.stringMatching(/^h-[0-9a-f]{40}$/) }],
  ])('%s', (_n, owner, labels) => {
    expect(ownershipLabels(owner)).toEqual(labels);
  });

  it('owns a pod only when both cluster and node match', () => {
    const pod = (labels?: Record<string, string>) => ({ metadata: { name: 'p', ...(labels ? { labels } : {}) } }) as Parameters<typeof ownedBy>[0];
    const me = { clusterId: 'c1', nodeName: 'n1' };
    expect(ownedBy(pod(ownershipLabels(me)), me)).toBe(true);
    expect(ownedBy(pod(ownershipLabels({ clusterId: 'c1', nodeName: 'n2' })), me)).toBe(false);
    expect(ownedBy(pod(ownershipLabels({ clusterId: 'c2', nodeName: 'n1' })), me)).toBe(false);
    expect(ownedBy(pod(), me)).toBe(false);
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

describe('flavorAnnotations', () => {
  it('copies the CCI pod\'s flavor annotations only', () => {
    const c = cci({ phase: 'Running' });
    c.metadata.annotations = { 'burstlet.io/flavor-cpu': '0.25', 'burstlet.io/flavor-memory': '512Mi', other: 'x' };
    expect(flavorAnnotations(c)).toEqual({ 'burstlet.io/flavor-cpu': '0.25', 'burstlet.io/flavor-memory': '512Mi' });
  });
});

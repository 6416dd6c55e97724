import { describe, expect, it } from 'vitest';
import type { CciPod } from '../../src/cci/types.ts';
import { cciPodName } from '../../src/cci-provider/naming.ts';
import { flavorAnnotations, statusFromCci } from '../../src/cci-provider/pod-status.ts';
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

import { describe, expect, it } from 'vitest';
import { annotations, type CciPod } from '../../src/cci/types.ts';
import type { Pod } from '../../src/kube/wire.ts';
import { cciPodName } from '../../src/cci-provider/naming.ts';
import { hasRun, missingAction, planOrphans } from '../../src/cci-provider/orphans.ts';

function pod(name: string, uid: string, status?: Pod['status'], deleting = false): Pod {
  return {
    metadata: { namespace: 'ns', name, uid, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
    ...(status ? { status } : {}),
  };
}

function cci(name: string, uid: string, ours = true): CciPod {
  return {
    apiVersion: 'cci/v2',
    kind: 'Pod',
    metadata: { name: cciPodName('ns', name, uid), ...(ours ? { annotations: { [annotations.podKey]: `ns/${name}`, [annotations.podUID]: uid } } : {}) },
    spec: { containers: [], restartPolicy: 'Always', hostname: name, dnsConfig: { nameservers: [], searches: [], options: [] } },
  };
}

const running = { phase: 'Running', podIP: '198.18.0.5' };
const pending = { phase: 'Pending' };

describe('hasRun / missingAction', () => {
  it.each([
    ['no status', undefined, false, 'create'],
    ['Pending, ContainerCreating', { phase: 'Pending', containerStatuses: [{ name: 'c', image: '', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] }, false, 'create'],
    ['Pending after a restart (CrashLoopBackOff)', { phase: 'Pending', containerStatuses: [{ name: 'c', image: '', imageID: '', ready: false, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } }] }, true, 'fail'],
    ['Running', running, true, 'fail'],
    ['Succeeded', { phase: 'Succeeded', podIP: '198.18.0.5' }, true, 'none'],
    ['Failed', { phase: 'Failed' }, false, 'none'],
  ] as const)('%s', (_n, status, ran, action) => {
    const p = pod('a', 'u', status ? { ...status } as Pod['status'] : undefined);
    expect(hasRun(p)).toBe(ran);
    expect(missingAction(p)).toBe(action);
  });
  it('a pod being deleted is never created or failed', () => {
    expect(missingAction(pod('a', 'u', pending, true))).toBe('none');
  });
});

describe('planOrphans', () => {
  it('deletes CCI pods of gone or replaced pods, creates never-run pods, fails pods that ran; one action each', () => {
    const pods = [
      pod('kept', 'u1', running),
      pod('new', 'u2', pending),
      pod('lost', 'u3', running),
      pod('replaced', 'u5-new', pending),
      pod('done', 'u6', { phase: 'Succeeded' }),
      pod('leaving', 'u7', running, true),
    ];
    const cciPods = [cci('kept', 'u1'), cci('gone', 'u4'), cci('replaced', 'u5-old'), cci('foreign', 'u9', false)];
    const plan = planOrphans(pods, cciPods);
    expect(plan).toEqual({
      deleteCci: [cciPodName('ns', 'gone', 'u4'), cciPodName('ns', 'replaced', 'u5-old')],
      create: ['ns/new', 'ns/replaced'],
      fail: ['ns/lost'],
    });
    const touched = [...plan.create, ...plan.fail];
    expect(new Set(touched).size).toBe(touched.length);
  });

  it('skips pods with a sync in flight', () => {
    const plan = planOrphans([pod('new', 'u2', pending)], [cci('gone', 'u4')], new Set(['ns/new', 'ns/gone']));
    expect(plan).toEqual({ deleteCci: [], create: [], fail: [] });
  });
});

import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../src/kube/wire.ts';
import { hasRun, missingAction, planOrphans } from '../../../src/provider/pods/orphans.ts';

function pod(name: string, uid: string, status?: Pod['status'], deleting = false): Pod {
  return {
    metadata: { namespace: 'ns', name, uid, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
    ...(status ? { status } : {}),
  };
}

/** A pod the backend runs: only its identity. */
function backend(name: string, uid: string, deleting = false): Pod {
  return { metadata: { namespace: 'ns', name, uid, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) } };
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
  it('deletes backend pods of gone or replaced pods, creates never-run pods, fails pods that ran; one action each', () => {
    const pods = [
      pod('kept', 'u1', running),
      pod('new', 'u2', pending),
      pod('lost', 'u3', running),
      pod('replaced', 'u5-new', pending),
      pod('done', 'u6', { phase: 'Succeeded' }),
      pod('leaving', 'u7', running, true),
    ];
    const runs = [backend('kept', 'u1'), backend('gone', 'u4'), backend('replaced', 'u5-old'), backend('stopping', 'u8', true)];
    const plan = planOrphans(pods, runs);
    expect(plan).toEqual({
      delete: [backend('gone', 'u4'), backend('replaced', 'u5-old')],
      create: ['ns/new', 'ns/replaced'],
      fail: ['ns/lost'],
    });
    const touched = [...plan.create, ...plan.fail];
    expect(new Set(touched).size).toBe(touched.length);
  });

  it('skips pods with a sync in flight', () => {
    const plan = planOrphans([pod('new', 'u2', pending)], [backend('gone', 'u4')], new Set(['ns/new', 'ns/gone']));
    expect(plan).toEqual({ delete: [], create: [], fail: [] });
  });
});

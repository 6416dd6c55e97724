import { describe, expect, it } from 'vitest';
import type { ScheduleProfile } from '../../src/policy/profile.ts';
import { profileStatus, statusDiffers } from '../../src/policy/profile-status.ts';
import { projectWorkload } from '../../src/policy/workloads.ts';

const prof = (name: string, match: Record<string, string>, created: string, generation = 1): ScheduleProfile => ({
  metadata: { namespace: 'ns', name, creationTimestamp: created, generation }, spec: { objectLabels: { matchLabels: match }, strategy: 'localPrefer' },
});
const wl = (kind: string, name: string, labels: Record<string, string>, ns = 'ns', owner?: string) => projectWorkload(kind, {
  metadata: { namespace: ns, name, uid: `${kind}-${name}`, labels, ...(owner ? { ownerReferences: [{ kind: 'Deployment', name: owner, uid: `Deployment-${owner}`, controller: true }] } : {}) },
});

describe('ScheduleProfile status', () => {
  const older = prof('all-web', { app: 'web' }, '2026-01-01T00:00:00Z');
  const newer = prof('web-front', { app: 'web', tier: 'front' }, '2026-02-01T00:00:00Z', 3);
  const workloads = [
    wl('Deployment', 'web', { app: 'web', tier: 'front' }),
    wl('ReplicaSet', 'web-5d8f', { app: 'web', tier: 'front' }, 'ns', 'web'),
    wl('StatefulSet', 'cache', { app: 'web' }),
    wl('Deployment', 'web', { app: 'web' }, 'other'),
    wl('Job', 'batch', { app: 'batch' }),
  ];

  it('lists the top workloads it selects in its namespace, not a Deployment\'s ReplicaSets', () => {
    expect(profileStatus(older, [older, newer], workloads)).toEqual({ observedGeneration: 1, matchedCount: 2, matchedWorkloads: ['Deployment/web', 'StatefulSet/cache'] });
  });

  it('names the workloads an older profile governs instead', () => {
    expect(profileStatus(newer, [older, newer], workloads)).toEqual({ observedGeneration: 3, matchedCount: 1, matchedWorkloads: ['Deployment/web'], shadowed: ['Deployment/web'] });
  });

  it('says why an invalid profile selects nothing', () => {
    const bad: ScheduleProfile = { metadata: { namespace: 'ns', name: 'bad' }, spec: { objectLabels: { matchLabels: { app: 'web' } }, strategy: 'sometimes' } };
    expect(profileStatus(bad, [bad], workloads)).toMatchObject({ matchedCount: 0, invalid: expect.stringMatching(/strategy/) });
  });

  it('is written only when it changes', () => {
    const s = profileStatus(older, [older], workloads);
    expect(statusDiffers(undefined, s)).toBe(true);
    expect(statusDiffers(structuredClone(s), s)).toBe(false);
    expect(statusDiffers(s, { ...s, matchedCount: 3 })).toBe(true);
  });
});

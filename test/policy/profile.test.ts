import { describe, expect, it } from 'vitest';
import { governingProfile, profileTerms, selects, type ScheduleProfile } from '../../src/policy/profile.ts';

const profile = (name: string, spec: ScheduleProfile['spec'], created = '2026-01-01T00:00:00Z', namespace = 'ns'): ScheduleProfile => ({
  apiVersion: 'scheduling.cci.io/v2', kind: 'ScheduleProfile', metadata: { name, namespace, creationTimestamp: created }, spec,
});
// The shape seen in users' manifests for CCE's add-on.
const cce = profile('web', {
  objectLabels: { matchLabels: { app: 'web' } },
  strategy: 'localPrefer',
  location: { local: { maxNum: 2, scaleDownPriority: 10 }, cci: { scaleDownPriority: 100 } },
  virtualNodes: [{ type: 'bursting-node' }],
});

describe('ScheduleProfile', () => {
  it('reads CCE\'s field shape', () => {
    expect(profileTerms(cce)).toEqual({ namespace: 'ns', name: 'web', strategy: 'localPrefer', maxLocal: 2, scaleDownPriority: { local: 10, cci: 100 } });
  });

  it('takes burstlet\'s location.cci.network: the CCI Network of the workload\'s burst pods', () => {
    expect(profileTerms(profile('p', { objectLabels: { matchLabels: { a: 'b' } }, strategy: 'enforce', location: { cci: { network: 'fixed' } } }))).toMatchObject({ network: 'fixed' });
  });

  it('defaults: no maxNum, burst pods scaled down just before local ones', () => {
    expect(profileTerms(profile('p', { objectLabels: { matchLabels: { a: 'b' } }, strategy: 'auto' }))).toMatchObject({ maxLocal: undefined, scaleDownPriority: { local: 0, cci: 1 } });
    expect(profileTerms(profile('p', { objectLabels: { matchLabels: { a: 'b' } }, strategy: 'auto', location: { local: { scaleDownPriority: 50 } } }))).toMatchObject({ scaleDownPriority: { local: 50, cci: 51 } });
  });

  const invalid: [string, ScheduleProfile['spec'], RegExp][] = [
    ['no selector', { strategy: 'auto' }, /matchLabels is empty/],
    ['empty selector', { objectLabels: { matchLabels: {} }, strategy: 'auto' }, /matchLabels is empty/],
    ['unknown strategy', { objectLabels: { matchLabels: { a: 'b' } }, strategy: 'always' }, /strategy "always"/],
    ['negative maxNum', { objectLabels: { matchLabels: { a: 'b' } }, strategy: 'auto', location: { local: { maxNum: -1 } } }, /maxNum/],
    ['fractional maxNum', { objectLabels: { matchLabels: { a: 'b' } }, strategy: 'auto', location: { local: { maxNum: 1.5 } } }, /maxNum/],
    ['text priority', { objectLabels: { matchLabels: { a: 'b' } }, strategy: 'auto', location: { cci: { scaleDownPriority: 'high' as unknown as number } } }, /scaleDownPriority/],
    ['a Network name that is not one', { objectLabels: { matchLabels: { a: 'b' } }, strategy: 'auto', location: { cci: { network: 'Fixed Net' } } }, /spec\.location\.cci\.network "Fixed Net" is not a Network name/],
  ];
  for (const [name, spec, message] of invalid) {
    it(`selects nothing when invalid: ${name}`, () => {
      expect(profileTerms(profile('p', spec))).toEqual({ invalid: expect.stringMatching(message) });
      expect(governingProfile([profile('p', spec)], 'ns', { a: 'b' })).toBeUndefined();
    });
  }

  it('matches every label of matchLabels, in its own namespace only', () => {
    expect(selects(cce, { app: 'web', tier: 'front' })).toBe(true);
    expect(selects(cce, { app: 'api' })).toBe(false);
    expect(selects(cce, undefined)).toBe(false);
    expect(governingProfile([cce], 'other', { app: 'web' })).toBeUndefined();
  });

  it('the oldest matching profile governs, then by name', () => {
    const newer = profile('aaa', { objectLabels: { matchLabels: { app: 'web' } }, strategy: 'enforce' }, '2026-02-01T00:00:00Z');
    const sameTime = profile('b', { objectLabels: { matchLabels: { app: 'web' } }, strategy: 'auto' });
    expect(governingProfile([newer, sameTime, cce], 'ns', { app: 'web' })?.name).toBe('b');
    expect(governingProfile([newer], 'ns', { app: 'web' })?.strategy).toBe('enforce');
  });
});

import { describe, expect, it } from 'vitest';
import { POLICIES, resolvePolicy, type Policy, type PolicyInputs, type ProfileTerms } from '../../src/policy/policy.ts';

const NEW = 'bursting.cci.io/burst-to-cci';
const OLD = 'virtual-kubelet.io/burst-to-cci';
const workload = (labels?: Record<string, string>) => ({ kind: 'Deployment', namespace: 'ns', name: 'web', uid: 'u-web', labels });
const profile = (strategy: Policy, maxLocal?: number): ProfileTerms => ({ namespace: 'ns', name: 'p', strategy, maxLocal, scaleDownPriority: { local: 0, cci: 1 } });

describe('resolvePolicy: which source decides', () => {
  const rows: { name: string; in: PolicyInputs; policy: Policy | undefined; source?: string; warnings?: number }[] = [
    { name: 'nothing asks: no decision', in: { podLabels: { app: 'web' }, workload: workload({ app: 'web' }), namespaceLabels: {}, profile: undefined }, policy: undefined },
    { name: 'pod label', in: { podLabels: { [NEW]: 'enforce' }, workload: undefined, namespaceLabels: undefined, profile: undefined }, policy: 'enforce', source: 'pod' },
    { name: 'older pod label', in: { podLabels: { [OLD]: 'auto' }, workload: undefined, namespaceLabels: undefined, profile: undefined }, policy: 'auto', source: 'pod' },
    { name: 'both pod labels: CCE\'s own wins', in: { podLabels: { [OLD]: 'auto', [NEW]: 'off' }, workload: undefined, namespaceLabels: undefined, profile: undefined }, policy: 'off', source: 'pod' },
    { name: 'namespace label alone', in: { podLabels: undefined, workload: undefined, namespaceLabels: { [NEW]: 'localPrefer' }, profile: undefined }, policy: 'localPrefer', source: 'namespace' },
    { name: 'pod wins over namespace', in: { podLabels: { [NEW]: 'off' }, workload: undefined, namespaceLabels: { [NEW]: 'enforce' }, profile: undefined }, policy: 'off', source: 'pod' },
    { name: 'workload label (CCE\'s Deployment example)', in: { podLabels: {}, workload: workload({ [OLD]: 'auto' }), namespaceLabels: { [NEW]: 'off' }, profile: undefined }, policy: 'auto', source: 'workload' },
    { name: 'pod wins over workload', in: { podLabels: { [NEW]: 'enforce' }, workload: workload({ [NEW]: 'off' }), namespaceLabels: undefined, profile: undefined }, policy: 'enforce', source: 'pod' },
    { name: 'profile over namespace', in: { podLabels: {}, workload: workload({ app: 'web' }), namespaceLabels: { [NEW]: 'off' }, profile: profile('localPrefer', 2) }, policy: 'localPrefer', source: 'profile' },
    { name: 'workload label over profile', in: { podLabels: {}, workload: workload({ [NEW]: 'enforce' }), namespaceLabels: undefined, profile: profile('auto') }, policy: 'enforce', source: 'workload' },
    { name: 'pod label over profile', in: { podLabels: { [NEW]: 'off' }, workload: workload({}), namespaceLabels: undefined, profile: profile('enforce') }, policy: 'off', source: 'pod' },
    { name: 'a bad pod value is skipped with a warning', in: { podLabels: { [NEW]: 'yes' }, workload: undefined, namespaceLabels: { [NEW]: 'auto' }, profile: undefined }, policy: 'auto', source: 'namespace', warnings: 1 },
    { name: 'a bad new label falls back to a good old one', in: { podLabels: { [NEW]: 'Enforce', [OLD]: 'enforce' }, workload: undefined, namespaceLabels: undefined, profile: undefined }, policy: 'enforce', source: 'pod', warnings: 1 },
    { name: 'only bad values: no decision, warnings', in: { podLabels: { [NEW]: '' }, workload: workload({ [NEW]: 'sometimes' }), namespaceLabels: { [NEW]: 'x' }, profile: undefined }, policy: undefined, warnings: 3 },
    { name: 'a bad namespace label below a deciding pod label says nothing', in: { podLabels: { [NEW]: 'auto' }, workload: undefined, namespaceLabels: { [NEW]: 'x' }, profile: undefined }, policy: 'auto', source: 'pod', warnings: 0 },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const r = resolvePolicy(row.in);
      expect(r.decision?.policy).toBe(row.policy);
      if (row.source) expect(r.decision?.source).toBe(row.source);
      expect(r.warnings).toHaveLength(row.warnings ?? 0);
    });
  }

  it('keeps the profile terms and the workload whichever source decides', () => {
    const r = resolvePolicy({ podLabels: { [NEW]: 'auto' }, workload: workload({}), namespaceLabels: undefined, profile: profile('localPrefer', 3) });
    expect(r.decision).toMatchObject({ policy: 'auto', source: 'pod', workload: { kind: 'Deployment', name: 'web', uid: 'u-web' }, profile: { maxLocal: 3 } });
  });

  // Every combination: policy on the pod × on the workload × on the namespace × a profile's strategy.
  it('every combination: the most specific valid source decides', () => {
    const values = [undefined, ...POLICIES, 'bogus'] as const;
    const rank = ['pod', 'workload', 'profile', 'namespace'] as const;
    let cases = 0;
    for (const pod of values) for (const wl of values) for (const ns of values) for (const prof of [undefined, ...POLICIES]) {
      const labels = (v: string | undefined): Record<string, string> => (v === undefined ? {} : { [NEW]: v });
      const r = resolvePolicy({ podLabels: labels(pod), workload: workload(labels(wl)), namespaceLabels: labels(ns), profile: prof ? profile(prof) : undefined });
      const given = { pod, workload: wl, profile: prof, namespace: ns } as Record<string, string | undefined>;
      const winner = rank.find((s) => given[s] !== undefined && given[s] !== 'bogus');
      expect(r.decision?.source).toBe(winner);
      expect(r.decision?.policy).toBe(winner ? given[winner] : undefined);
      cases++;
    }
    expect(cases).toBe(6 * 6 * 6 * 5);
  });
});

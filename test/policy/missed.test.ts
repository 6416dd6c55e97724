import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.ts';
import type { PolicyLookup } from '../../src/policy/lookup.ts';
import { MissedPolicyDetector } from '../../src/policy/missed.ts';
import { APPLIED_ANNOTATION, appliedPolicyOf } from '../../src/policy/mutation.ts';
import { WorkloadIndex } from '../../src/policy/workloads.ts';
import type { Pod } from '../../src/kube/wire.ts';
import { FakeApi } from './support/fake-api.ts';

const LABEL = 'bursting.cci.io/burst-to-cci';
const index = new WorkloadIndex();
const lookup: PolicyLookup = {
  namespaceLabels: (ns): Record<string, string> => (ns === 'burst' ? { [LABEL]: 'localPrefer' } : {}),
  namespaceNetwork: () => undefined,
  governingProfile: () => undefined,
  resolveWorkload: (p) => index.resolve(p, async () => undefined),
  taints: [],
};

function setup() {
  const api = new FakeApi();
  const events: string[] = [];
  const detector = new MissedPolicyDetector({ kube: api, lookup, events: { record: (t, type, reason, message) => events.push(`${t.name} ${type} ${reason}: ${message}`) }, excludedNamespaces: ['kube-system'], log: createLogger('silent', 'test') });
  return { api, events, detector };
}
const pod = (name: string, ns: string, labels: Record<string, string> = {}, annotations?: Record<string, string>): Pod => ({ metadata: { name, namespace: ns, uid: `u-${name}`, labels, ...(annotations ? { annotations } : {}) }, status: { phase: 'Pending' } });

describe('pods the webhook never saw', () => {
  it('a pod in a policy namespace without the annotation: a Warning event, once, and the annotation', async () => {
    const { api, events, detector } = setup();
    const p = pod('a', 'burst');
    api.put('/api/v1/namespaces/burst/pods/a', p);
    await detector.check(p);
    await detector.check(p);
    expect(events).toEqual([expect.stringMatching(/^a Warning BurstPolicyNotApplied: .*webhook was unreachable.*policy localPrefer \(from the namespace label\)/)]);
    const stored = api.get<Pod>('/api/v1/namespaces/burst/pods/a')!;
    expect(appliedPolicyOf(stored)).toMatchObject({ policy: 'localPrefer', source: 'namespace', applied: [], skipped: expect.stringMatching(/did not see this pod/) });
  });

  it('a pod with its own policy label, in any namespace', async () => {
    const { events, detector } = setup();
    await detector.check(pod('b', 'plain', { [LABEL]: 'enforce' }));
    expect(events).toHaveLength(1);
  });

  it('leaves alone: pods the webhook handled, pods without a policy, kube-system, finished and DaemonSet pods', async () => {
    const { events, detector } = setup();
    await detector.check(pod('c', 'burst', {}, { [APPLIED_ANNOTATION]: '{}' }));
    await detector.check(pod('d', 'plain'));
    await detector.check(pod('e', 'kube-system', { [LABEL]: 'enforce' }));
    await detector.check({ ...pod('f', 'burst'), status: { phase: 'Succeeded' } });
    await detector.check({ ...pod('g', 'burst'), metadata: { ...pod('g', 'burst').metadata, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ds', uid: 'x', controller: true }] } });
    expect(events).toEqual([]);
  });
});

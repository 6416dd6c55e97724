import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.ts';
import { burstDeletionCost, DeletionCostWriter } from '../../src/policy/deletion-cost.ts';
import { DELETION_COST_ANNOTATION, type AppliedPolicy } from '../../src/policy/mutation.ts';
import type { Pod } from '../../src/kube/wire.ts';
import { FakeApi } from './support/fake-api.ts';

const pod = (cost?: string): Pod => ({ metadata: { namespace: 'ns', name: 'p', uid: 'u1', ...(cost !== undefined ? { annotations: { [DELETION_COST_ANNOTATION]: cost } } : {}) } });
const applied = (over: Partial<AppliedPolicy>): AppliedPolicy => ({ policy: 'localPrefer', source: 'profile', applied: [], ...over });

describe('pod-deletion-cost on burst pods', () => {
  const rows: [string, Pod, AppliedPolicy | undefined, string | undefined][] = [
    ['no policy, no cost: one below local pods', pod(), undefined, '-1'],
    ['the profile\'s cci priority', pod(), applied({ deletionCost: { local: -10, cci: -100 } }), '-100'],
    ['over the local cost the webhook set', pod('-10'), applied({ deletionCost: { local: -10, cci: -100 }, applied: ['deletionCost'] }), '-100'],
    ['a cost the user set stays', pod('5'), applied({ deletionCost: { local: -10, cci: -100 } }), undefined],
    ['a cost the user set stays (no policy)', pod('0'), undefined, undefined],
    ['already right: nothing to write', pod('-100'), applied({ deletionCost: { local: -10, cci: -100 }, applied: ['deletionCost'] }), undefined],
  ];
  for (const [name, p, a, want] of rows) it(name, () => expect(burstDeletionCost(p, a)).toBe(want));

  it('writes once, not again on the watch\'s echo', async () => {
    const api = new FakeApi();
    api.put('/api/v1/namespaces/ns/pods/p', pod());
    const writer = new DeletionCostWriter(api, createLogger('silent', 'test'));
    await writer.burstPod(pod(), undefined);
    await writer.burstPod(pod(), undefined);
    expect(api.writes).toHaveLength(1);
    expect(api.get<Pod>('/api/v1/namespaces/ns/pods/p')?.metadata?.annotations?.[DELETION_COST_ANNOTATION]).toBe('-1');
  });
});

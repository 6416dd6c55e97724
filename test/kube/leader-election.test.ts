import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.ts';
import { KubeError } from '../../src/kube/client.ts';
import { LeaderElector } from '../../src/kube/leader-election.ts';
import { FakeApi } from '../policy/support/fake-api.ts';
import { FakeClock } from '../policy/support/fake-clock.ts';

const log = createLogger('silent', 'test');
const LEASE = '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/burstlet-policy';

function candidate(api: FakeApi, clock: FakeClock, identity: string, events: string[]) {
  return new LeaderElector({
    kube: api, namespace: 'kube-system', name: 'burstlet-policy', identity, clock, log,
    onStartedLeading: () => events.push(`${identity} leads at ${clock.now()}`),
    onStoppedLeading: () => events.push(`${identity} stops at ${clock.now()}`),
  });
}

describe('leader election', () => {
  it('one candidate creates the Lease and leads', async () => {
    const api = new FakeApi();
    const clock = new FakeClock();
    const events: string[] = [];
    const a = candidate(api, clock, 'a', events);
    a.start();
    await clock.advance(0);
    expect(a.isLeader).toBe(true);
    expect(api.get<{ spec: { holderIdentity: string } }>(LEASE)?.spec.holderIdentity).toBe('a');
    expect(events).toEqual(['a leads at 0']);
  });

  it('a standby takes over only after a full lease duration without renewal, after the old leader stepped down', async () => {
    const api = new FakeApi();
    const clock = new FakeClock();
    const events: string[] = [];
    const a = candidate(api, clock, 'a', events);
    const b = candidate(api, clock, 'b', events);
    a.start();
    await clock.advance(0);
    b.start();
    await clock.advance(30_000);
    expect(b.isLeader).toBe(false);
    // a loses the API server (its requests fail); b still reaches it.
    let aCut = false;
    api.fail = (method, _path, body) => (aCut && method === 'PUT' && (body as { spec?: { holderIdentity?: string } }).spec?.holderIdentity === 'a' ? new KubeError(0, 'ConnectionError', 'cut') : undefined);
    const cutAt = clock.now();
    aCut = true;
    await clock.advance(20_000);
    expect(a.isLeader).toBe(false);
    expect(b.isLeader).toBe(true);
    const stop = Number(events.find((e) => e.startsWith('a stops'))!.split(' at ')[1]);
    const lead = Number(events.find((e) => e.startsWith('b leads'))!.split(' at ')[1]);
    expect(stop - cutAt).toBeLessThanOrEqual(12_000);
    expect(lead - cutAt).toBeGreaterThanOrEqual(15_000);
    expect(stop).toBeLessThan(lead);
  });

  it('stopping releases the Lease: the standby leads at its next try', async () => {
    const api = new FakeApi();
    const clock = new FakeClock();
    const events: string[] = [];
    const a = candidate(api, clock, 'a', events);
    const b = candidate(api, clock, 'b', events);
    a.start();
    await clock.advance(0);
    b.start();
    await clock.advance(5_000);
    await a.stop();
    await clock.advance(2_000);
    expect(b.isLeader).toBe(true);
    expect(api.get<{ spec: { leaseTransitions: number } }>(LEASE)?.spec.leaseTransitions).toBe(1);
  });

  it('two candidates racing for an absent Lease: exactly one leads', async () => {
    const api = new FakeApi();
    const clock = new FakeClock();
    const events: string[] = [];
    const a = candidate(api, clock, 'a', events);
    const b = candidate(api, clock, 'b', events);
    a.start();
    b.start();
    await clock.advance(10_000);
    expect([a.isLeader, b.isLeader].filter(Boolean)).toHaveLength(1);
  });
});

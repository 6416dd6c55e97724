// A zone node's room and health (its CCI Networks), judged every health-check period.
import { describe, expect, it } from 'vitest';
import type { CciNetwork, CciQuota } from '../../src/cci/types.ts';
import { ZONE_UNAVAILABLE, zoneNodeProvider, zoneProblem } from '../../src/cci-provider/node.ts';
import type { ZoneNodeSpec } from '../../src/cci-provider/zone-config.ts';
import { zoneNodeOfValue } from '../../src/cci-provider/zone-nodes.ts';
import { FakeClock } from '../policy/support/fake-clock.ts';

const net = (name: string, freeIPs: number, phase: 'Active' | 'Unavailable' = 'Active'): CciNetwork => ({
  apiVersion: 'cci/v2', kind: 'Network', metadata: { name }, spec: { cidr: `198.18.${name.length}.0/24`, gateway: '' }, status: { totalIPs: 253, usedIPs: 253 - freeIPs, freeIPs, phase },
});
const quota = (hard: Record<string, string>): CciQuota => ({ apiVersion: 'cci/v2', kind: 'ResourceQuota', metadata: { name: 'q' }, status: { hard, used: {} } });
const zone = (networks: string[], more: Partial<ZoneNodeSpec> = {}): ZoneNodeSpec => ({ zone: 'az1', nodeName: 'vk-az1', cpu: '64', memory: '256Gi', networks, ...more });

describe('zoneProblem', () => {
  it.each([
    ['its Networks serve', zone(['a']), [net('default', 9), net('a', 5)], undefined],
    ['no Networks named: the default', zone([]), [net('default', 9, 'Unavailable')], 'Network default (198.18.7.0/24) is Unavailable'],
    ['one of its Networks is missing', zone(['a', 'b']), [net('default', 9), net('a', 5)], 'Network b does not exist in the CCI namespace (it has default, a)'],
    ['one is Unavailable', zone(['a']), [net('a', 5, 'Unavailable')], 'Network a (198.18.1.0/24) is Unavailable'],
    ['the namespace has none', zone([]), [], 'the CCI namespace has no Network'],
  ])('%s', (_what, z, networks, problem) => expect(zoneProblem(z, networks)).toBe(problem));
});

describe('zoneNodeProvider', () => {
  function provider(z: ZoneNodeSpec, state: { networks: CciNetwork[] | Error; hard?: Record<string, string> }, periodMs = 60_000) {
    const clock = new FakeClock();
    const errors: unknown[] = [];
    const p = zoneNodeProvider({
      quota: async () => quota(state.hard ?? { cpu: '1000', memory: '4Ti', pods: '10000' }),
      networks: async () => { if (state.networks instanceof Error) throw state.networks; return state.networks; },
    }, z, () => 2, (err) => errors.push(err), periodMs, clock);
    return { p, clock, errors };
  }

  it('sizes the node by the ConfigMap within the quota, and its pods by its own Networks\' free IPs', async () => {
    const { p } = provider(zone(['a', 'b'], { cpu: '64', memory: '8Ti' }), { networks: [net('default', 200), net('a', 5), net('b', 10)] });
    const room = await p.resources();
    // memory: the quota (4Ti) is below the zone's 8Ti; pods: 5 + 10 free plus the 2 it runs.
    expect(room.allocatable).toEqual({ cpu: '64', memory: '4Ti', pods: '17' });
    expect(room.cordon).toBeUndefined();
    expect(room.conditions!.find((c) => c.type === ZONE_UNAVAILABLE)).toMatchObject({ status: 'False', reason: 'ZoneAvailable' });
  });

  it('a failed check cordons the node with the ZoneUnavailable condition; it is lifted only at a later check that passes', async () => {
    const state: { networks: CciNetwork[] | Error } = { networks: [net('a', 5, 'Unavailable')] };
    const { p, clock } = provider(zone(['a']), state, 60_000);
    let room = await p.resources();
    expect(room.cordon).toEqual({ reason: 'ZoneUnavailable', message: 'Network a (198.18.1.0/24) is Unavailable' });
    expect(room.conditions!.find((c) => c.type === ZONE_UNAVAILABLE)).toMatchObject({ status: 'True', reason: 'ZoneUnavailable' });
    state.networks = [net('a', 5)];
    await clock.advance(30_000);
    room = await p.resources();
    expect(room.cordon).toBeDefined(); // not judged again before the period
    await clock.advance(30_000);
    room = await p.resources();
    expect(room.cordon).toBeUndefined();
    // And a blip between checks does not cordon.
    state.networks = new Error('connect ECONNREFUSED');
    await clock.advance(10_000);
    expect((await p.resources()).cordon).toBeUndefined();
    await clock.advance(50_000);
    expect((await p.resources()).cordon).toEqual({ reason: 'ZoneUnavailable', message: 'the CCI Networks cannot be read: connect ECONNREFUSED' });
  });

  it('the quota unreadable is CCI unreachable: the probe fails (Ready=False), as for the global node', async () => {
    const clock = new FakeClock();
    const p = zoneNodeProvider({ quota: async () => { throw new Error('down'); }, networks: async () => [] }, zone([]), () => 0, () => undefined, 1000, clock);
    await expect(p.resources()).rejects.toThrow('down');
  });
});

describe('zoneNodeOfValue', () => {
  it('is the global node\'s name when it fits a label value, else a digest that does and stays the same', () => {
    expect(zoneNodeOfValue('burst-cci')).toBe('burst-cci');
    const long = `${'a'.repeat(60)}.example.com`;
    const value = zoneNodeOfValue(long);
    expect(value).toMatch(/^h-[0-9a-f]{40}$/);
    expect(value.length).toBeLessThanOrEqual(63);
    expect(zoneNodeOfValue(long)).toBe(value);
    expect(zoneNodeOfValue(`${long}x`)).not.toBe(value);
  });
});

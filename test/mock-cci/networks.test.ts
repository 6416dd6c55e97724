import { describe, expect, it } from 'vitest';
import { MockNetworks, networksProblem, parseNetworkSpec } from '../../src/mock-cci/networks.ts';
import { CCI_NETWORK_ANNOTATION, type CciPod } from '../../src/cci/types.ts';
import { CciApiError } from '../../src/mock-cci/status.ts';

const pod = (name: string, network?: string): CciPod => ({
  apiVersion: 'cci/v2', kind: 'Pod', metadata: { name, ...(network ? { annotations: { [CCI_NETWORK_ANNOTATION]: network } } : {}) }, spec: { containers: [] },
} as unknown as CciPod);

describe('the mock namespace\'s Networks', () => {
  it.each([
    ['198.18.0.0/24', { name: 'default', cidr: '198.18.0.0/24' }],
    ['fixed=198.18.1.7/28', { name: 'fixed', cidr: '198.18.1.0/28' }],
  ])('--subnet=%s', (raw, spec) => expect(parseNetworkSpec(raw)).toEqual(spec));

  it.each([
    ['Fixed=198.18.1.0/24', /"Fixed" is not a Network name/],
    ['fixed=198.18.1.0/8', /outside \/16-\/30/],
    ['fixed=', /./],
  ])('refuses --subnet=%s', (raw, message) => expect(() => parseNetworkSpec(raw)).toThrow(message));

  it.each([
    [[{ name: 'a', cidr: '198.18.0.0/24' }, { name: 'a', cidr: '198.18.1.0/24' }], 'two Networks are named a'],
    [[{ name: 'a', cidr: '198.18.0.0/23' }, { name: 'b', cidr: '198.18.1.0/24' }], 'Networks a (198.18.0.0/23) and b (198.18.1.0/24) overlap'],
    [[{ name: 'a', cidr: '198.18.0.0/24' }, { name: 'b', cidr: '198.18.1.0/24' }], undefined],
  ])('names and ranges never repeat: %j', (specs, problem) => expect(networksProblem(specs)).toBe(problem));

  const networks = () => new MockNetworks([{ name: 'default', cidr: '198.18.0.0/24' }, { name: 'fixed', cidr: '198.18.1.0/30' }]);

  it('a pod gets the default Network, or the one its annotation names; an unknown one is refused naming those there are', () => {
    const n = networks();
    expect(n.forPod(pod('a'))).toBe('default');
    expect(n.forPod(pod('b', 'fixed'))).toBe('fixed');
    expect(() => n.forPod(pod('c', 'nope'))).toThrow(/annotations\[cci\.io\/network\]: Not found: "nope": the namespace's Networks are default, fixed/);
  });

  it('IPs come from the chosen Network, go back to it, and one Network full leaves the other allocating', () => {
    const n = networks();
    const ip = n.allocate('fixed', 'a');
    expect(ip).toBe('198.18.1.2');
    expect(() => n.allocate('fixed', 'b')).toThrow(/Network fixed: no free IP address in subnet 198\.18\.1\.0\/30/);
    expect(n.allocate('default', 'b')).toMatch(/^198\.18\.0\./);
    n.release('fixed', ip);
    expect(n.list('ns').find((x) => x.metadata.name === 'fixed')!.status).toMatchObject({ totalIPs: 1, usedIPs: 0, freeIPs: 1 });
    expect(n.allocate('fixed', 'c')).toBe('198.18.1.2');
  });

  it('an Unavailable Network gives no IP (503) until it is Active again, and shows its phase', () => {
    const n = networks();
    n.setPhase('fixed', 'Unavailable');
    const err = (() => { try { n.allocate('fixed', 'a'); } catch (e) { return e; } })() as CciApiError;
    expect(err.code).toBe(503);
    expect(err.message).toMatch(/Network fixed \(198\.18\.1\.0\/30\) is Unavailable/);
    expect(n.list('ns').map((x) => [x.metadata.name, x.status.phase])).toEqual([['default', 'Active'], ['fixed', 'Unavailable']]);
    n.setPhase('fixed', 'Active');
    expect(n.allocate('fixed', 'a')).toBe('198.18.1.2');
    expect(() => n.setPhase('nope', 'Active')).toThrow(/networks "nope" not found/);
  });
});

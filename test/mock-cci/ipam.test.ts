import { describe, expect, it } from 'vitest';
import { Ipam, IpExhaustedError, parseSubnet } from '../../src/mock-cci/ipam.ts';

describe('parseSubnet', () => {
  it.each([
    ['198.18.0.0/24', { cidr: '198.18.0.0/24', gateway: '198.18.0.1', size: 253 }],
    ['198.18.5.77/30', { cidr: '198.18.5.76/30', gateway: '198.18.5.77', size: 1 }],
    ['198.18.0.0/16', { cidr: '198.18.0.0/16', gateway: '198.18.0.1', size: 65533 }],
  ])('%s', (cidr, expected) => expect(parseSubnet(cidr)).toMatchObject(expected));

  it.each(['198.18.0.0', '198.18.0.0/8', '198.18.0.0/31', '300.1.1.1/24', 'x/24'])('rejects %s', (cidr) => {
    expect(() => parseSubnet(cidr)).toThrow();
  });
});

describe('Ipam', () => {
  it('hands out every host address except network, gateway and broadcast, then refuses', () => {
    const ipam = new Ipam(parseSubnet('198.18.7.0/29'));
    const got = [1, 2, 3, 4, 5].map(() => ipam.allocate());
    expect(got).toEqual(['198.18.7.2', '198.18.7.3', '198.18.7.4', '198.18.7.5', '198.18.7.6']);
    expect(ipam.freeCount).toBe(0);
    expect(() => ipam.allocate()).toThrow(IpExhaustedError);
  });

  it('recycles released addresses, oldest-released first, and never hands one out twice', () => {
    const ipam = new Ipam(parseSubnet('198.18.7.0/29'));
    const all = [1, 2, 3, 4, 5].map(() => ipam.allocate());
    ipam.release(all[3]!);
    ipam.release(all[1]!);
    ipam.release(all[1]!); // double release is harmless
    expect(ipam.usedCount).toBe(3);
    expect(ipam.allocate()).toBe(all[3]);
    expect(ipam.allocate()).toBe(all[1]);
    expect(() => ipam.allocate()).toThrow(IpExhaustedError);
  });

  it('does not leak under churn', () => {
    const ipam = new Ipam(parseSubnet('198.18.8.0/24'));
    const live: string[] = [];
    for (let i = 0; i < 5000; i++) {
      if (live.length < 200) live.push(ipam.allocate());
      else ipam.release(live.splice(i % live.length, 1)[0]!);
      expect(new Set(live).size).toBe(live.length);
    }
    for (const ip of live) ipam.release(ip);
    expect(ipam.usedCount).toBe(0);
    expect(ipam.freeCount).toBe(253);
  });

  it('claims a specific address once', () => {
    const ipam = new Ipam(parseSubnet('198.18.9.0/24'));
    expect(ipam.claim('198.18.9.2')).toBe(true);
    expect(ipam.claim('198.18.9.2')).toBe(false);
    expect(ipam.claim('198.18.9.1')).toBe(false);
    expect(ipam.allocate()).toBe('198.18.9.3');
  });
});

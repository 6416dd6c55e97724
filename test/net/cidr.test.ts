import { describe, expect, it } from 'vitest';
import { cidrsOverlap, parseCidr } from '../../src/net/cidr.ts';

describe('parseCidr', () => {
  it.each([
    ['198.18.0.0/24', '198.18.0.0/24'],
    ['198.18.3.7/22', '198.18.0.0/22'],
    ['10.0.0.1/32', '10.0.0.1/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
  ])('%s → %s', (text, cidr) => {
    expect(parseCidr(text).cidr).toBe(cidr);
  });

  it.each(['198.18.0.0', '198.18.0.0/33', '198.18.0/24', '198.18.0.256/24', 'fd00::/64', ''])('refuses %j', (text) => {
    expect(() => parseCidr(text)).toThrow(/is not an IPv4 (CIDR|address)/);
  });
});

describe('cidrsOverlap', () => {
  it.each([
    ['198.18.0.0/24', '198.18.0.0/16', true],
    ['198.18.0.0/16', '198.18.200.0/24', true],
    ['198.18.0.0/24', '198.18.1.0/24', false],
    ['198.19.0.0/16', '198.18.0.0/16', false],
    ['10.0.0.0/8', '0.0.0.0/0', true],
    ['198.18.0.128/25', '198.18.0.0/25', false],
  ])('%s and %s: %s', (a, b, overlap) => {
    expect(cidrsOverlap(parseCidr(a), parseCidr(b))).toBe(overlap);
    expect(cidrsOverlap(parseCidr(b), parseCidr(a))).toBe(overlap);
  });
});

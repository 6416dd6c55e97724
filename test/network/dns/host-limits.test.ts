import { describe, expect, it } from 'vitest';
import { checkHostResolvConf } from '../../../src/network/dns/host-limits.ts';

const host = (searches: string[]) => ({ nameservers: ['198.18.0.53'], searches, options: [] });
const domains = (n: number, len = 5) => Array.from({ length: n }, (_, i) => `${i}`.padStart(len, 'd'));

describe('checkHostResolvConf', () => {
  it.each<[string, string[], string, string | undefined]>([
    ['a normal file', ['corp.example'], 'cluster.local', undefined],
    ['29 domains with a cluster domain fit', domains(29), 'cluster.local', undefined],
    ['30 domains with a cluster domain do not', domains(30), 'cluster.local', "Resolv.conf file '/etc/r' contains search line consisting of more than 29 domains!"],
    ['32 domains without a cluster domain fit', domains(32), '', undefined],
    ['33 domains without a cluster domain do not', domains(33), '', "Resolv.conf file '/etc/r' contains search line consisting of more than 32 domains!"],
    ['a 254-character domain', ['x'.repeat(254)], 'cluster.local', 'Resolv.conf file "/etc/r" contains a search path which length is more than allowed 253 chars!'],
    ['a line over 2048 characters', domains(9, 250), 'cluster.local', "Resolv.conf file '/etc/r' contains search line which length is more than allowed 2048 chars!"],
  ])('%s', (_name, searches, clusterDomain, want) => {
    expect(checkHostResolvConf('/etc/r', host(searches), clusterDomain)).toBe(want);
  });
});

import type { V1PodDNSConfig, V1PodSpec } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { CciDNSConfig } from '../../../src/cci/types.ts';
import { computePodDNS, type PodDNSInput } from '../../../src/network/dns/pod-dns.ts';
import { parseResolvConf } from '../../../src/network/dns/resolv-conf.ts';

const HOST = parseResolvConf('nameserver 198.18.9.1\nnameserver 198.18.9.2\nsearch corp.example lab.example.\noptions timeout:2 rotate\n').config;
const CLUSTER_SEARCH = ['team.svc.cluster.local', 'svc.cluster.local', 'cluster.local'];
const NDOTS = [{ name: 'ndots', value: '5' }];

function input(spec: Partial<V1PodSpec>, over: Partial<PodDNSInput> = {}): PodDNSInput {
  return {
    pod: { metadata: { name: 'web', namespace: 'team', uid: 'u-1' }, spec: { containers: [], ...spec } },
    clusterDNS: ['198.19.0.10'],
    clusterDomain: 'cluster.local',
    hostResolvConf: HOST,
    ...over,
  };
}

const ok = (config: CciDNSConfig) => ({ ok: true, config, events: [] });

describe('computePodDNS: policies', () => {
  it.each<[string, PodDNSInput, unknown]>([
    ['ClusterFirst: cluster DNS, cluster then host searches, ndots:5', input({ dnsPolicy: 'ClusterFirst' }),
      ok({ nameservers: ['198.19.0.10'], searches: [...CLUSTER_SEARCH, 'corp.example', 'lab.example'], options: NDOTS })],
    ['no dnsPolicy means ClusterFirst', input({}),
      ok({ nameservers: ['198.19.0.10'], searches: [...CLUSTER_SEARCH, 'corp.example', 'lab.example'], options: NDOTS })],
    ['ClusterFirst: host searches equal to cluster ones are not repeated',
      input({}, { clusterDNS: ['198.19.0.10', '198.19.0.11'], hostResolvConf: { nameservers: [], searches: ['cluster.local', 'x.example'], options: [] } }),
      ok({ nameservers: ['198.19.0.10', '198.19.0.11'], searches: [...CLUSTER_SEARCH, 'x.example'], options: NDOTS })],
    ['ClusterFirst without a host file: cluster searches only', input({}, { hostResolvConf: null }),
      ok({ nameservers: ['198.19.0.10'], searches: CLUSTER_SEARCH, options: NDOTS })],
    ['ClusterFirst with an empty cluster domain: host searches only', input({}, { clusterDomain: '' }),
      ok({ nameservers: ['198.19.0.10'], searches: ['corp.example', 'lab.example'], options: NDOTS })],
    ['ClusterFirst on hostNetwork behaves as Default', input({ dnsPolicy: 'ClusterFirst', hostNetwork: true }), ok(HOST)],
    ['ClusterFirstWithHostNet on hostNetwork behaves as ClusterFirst', input({ dnsPolicy: 'ClusterFirstWithHostNet', hostNetwork: true }),
      ok({ nameservers: ['198.19.0.10'], searches: [...CLUSTER_SEARCH, 'corp.example', 'lab.example'], options: NDOTS })],
    ['ClusterFirstWithHostNet without hostNetwork is ClusterFirst', input({ dnsPolicy: 'ClusterFirstWithHostNet' }),
      ok({ nameservers: ['198.19.0.10'], searches: [...CLUSTER_SEARCH, 'corp.example', 'lab.example'], options: NDOTS })],
    ['Default: the host file', input({ dnsPolicy: 'Default' }), ok(HOST)],
    ['Default without a host file: 127.0.0.1 and search "."', input({ dnsPolicy: 'Default' }, { hostResolvConf: null }),
      ok({ nameservers: ['127.0.0.1'], searches: ['.'], options: [] })],
    ['None: only the pod dnsConfig',
      input({ dnsPolicy: 'None', dnsConfig: { nameservers: ['198.18.7.7'], searches: ['a.example'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } }),
      ok({ nameservers: ['198.18.7.7'], searches: ['a.example'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] })],
  ])('%s', (_name, given, expected) => {
    expect(computePodDNS(given)).toEqual(expected);
  });
});

describe('computePodDNS: dnsConfig merge', () => {
  it.each<[string, V1PodSpec['dnsPolicy'], V1PodDNSConfig, CciDNSConfig]>([
    ['nameservers and searches appended without duplicates', 'ClusterFirst',
      { nameservers: ['198.19.0.10', '198.18.7.7'], searches: ['svc.cluster.local', 'extra.example'] },
      { nameservers: ['198.19.0.10', '198.18.7.7'], searches: [...CLUSTER_SEARCH, 'corp.example', 'lab.example', 'extra.example'], options: NDOTS }],
    ['options merged by name, the pod wins, new ones appended', 'ClusterFirst',
      { options: [{ name: 'ndots', value: '2' }, { name: 'single-request-reopen' }] },
      { nameservers: ['198.19.0.10'], searches: [...CLUSTER_SEARCH, 'corp.example', 'lab.example'], options: [{ name: 'ndots', value: '2' }, { name: 'single-request-reopen' }] }],
    ['Default: host options merged with the pod\'s', 'Default',
      { options: [{ name: 'rotate' }, { name: 'timeout', value: '5' }, { name: 'attempts', value: '3' }] },
      { ...HOST, options: [{ name: 'timeout', value: '5' }, { name: 'rotate' }, { name: 'attempts', value: '3' }] }],
    ['an empty option value means no value', 'ClusterFirst', { options: [{ name: 'ndots', value: '' }] },
      { nameservers: ['198.19.0.10'], searches: [...CLUSTER_SEARCH, 'corp.example', 'lab.example'], options: [{ name: 'ndots' }] }],
  ])('%s', (_name, dnsPolicy, dnsConfig, expected) => {
    expect(computePodDNS(input({ dnsPolicy, dnsConfig }))).toEqual(ok(expected));
  });
});

describe('computePodDNS: limits', () => {
  it('1 cluster DNS + 2 pod nameservers: all 3 kept, no event', () => {
    const r = computePodDNS(input({ dnsConfig: { nameservers: ['198.18.7.1', '198.18.7.2'] } }));
    expect(r).toEqual(ok({ nameservers: ['198.19.0.10', '198.18.7.1', '198.18.7.2'], searches: expect.any(Array), options: NDOTS }));
  });

  it('1 cluster DNS + 3 pod nameservers: the first 3 are applied and the event names the line', () => {
    const r = computePodDNS(input({ dnsConfig: { nameservers: ['198.18.7.1', '198.18.7.2', '198.18.7.3'] } }));
    expect(r.ok && r.config.nameservers).toEqual(['198.19.0.10', '198.18.7.1', '198.18.7.2']);
    expect(r.events).toEqual([{
      type: 'Warning', reason: 'DNSConfigForming', object: 'pod',
      message: 'Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 198.19.0.10 198.18.7.1 198.18.7.2',
    }]);
  });

  it('overflow=reject refuses instead, saying what to do', () => {
    const r = computePodDNS(input({ dnsConfig: { nameservers: ['198.18.7.1', '198.18.7.2', '198.18.7.3'] } }, { overflow: 'reject' }));
    expect(r).toMatchObject({ ok: false, reason: 'DNSNameserverLimitExceeded', events: [] });
    expect(!r.ok && r.message).toMatch(/4 nameservers \(198\.19\.0\.10 198\.18\.7\.1 198\.18\.7\.2 198\.18\.7\.3.*at most 3.*--dns-nameserver-overflow=truncate/);
  });

  it('overflow=reject accepts exactly 3', () => {
    expect(computePodDNS(input({ dnsConfig: { nameservers: ['198.18.7.1', '198.18.7.2'] } }, { overflow: 'reject' })).ok).toBe(true);
  });

  it('duplicates are removed before counting', () => {
    const r = computePodDNS(input({ dnsConfig: { nameservers: ['198.19.0.10', '198.18.7.1', '198.18.7.2'] } }, { overflow: 'reject' }));
    expect(r.ok && r.config.nameservers).toEqual(['198.19.0.10', '198.18.7.1', '198.18.7.2']);
  });

  const many = (n: number, len = 10) => Array.from({ length: n }, (_, i) => `${'d'.repeat(len - String(i).length - 1)}${i}.`.slice(0, len));
  const searchEvent = (line: string[]) => ({
    type: 'Warning', reason: 'DNSConfigForming', object: 'pod',
    message: `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${line.join(' ')}`,
  });

  it('more than 32 search entries: the first 32 are kept', () => {
    const searches = many(40).map((s) => s.replace('.', 'x'));
    const r = computePodDNS(input({ dnsPolicy: 'None', dnsConfig: { nameservers: ['198.18.7.1'], searches } }));
    expect(r.ok && r.config.searches).toEqual(searches.slice(0, 32));
    expect(r.events).toEqual([searchEvent(searches.slice(0, 32))]);
  });

  it('entries over 253 characters are dropped (254 dropped, 253 kept)', () => {
    const long = 'a'.repeat(254);
    const edge = 'b'.repeat(253);
    const r = computePodDNS(input({ dnsPolicy: 'None', dnsConfig: { nameservers: ['198.18.7.1'], searches: ['x.example', long, edge] } }));
    expect(r.ok && r.config.searches).toEqual(['x.example', edge]);
    expect(r.events).toEqual([searchEvent(['x.example', edge])]);
  });

  it('a search line over 2048 characters loses entries from the end', () => {
    // 10 entries of 250 chars = 2509 chars with spaces; 8 fit (2007), 9 do not (2258).
    const searches = Array.from({ length: 10 }, (_, i) => `${String(i)}${'c'.repeat(249)}`);
    const r = computePodDNS(input({ dnsPolicy: 'None', dnsConfig: { nameservers: ['198.18.7.1'], searches } }));
    expect(r.ok && r.config.searches).toEqual(searches.slice(0, 8));
    expect(r.events).toEqual([searchEvent(searches.slice(0, 8))]);
  });

  it('a search line of exactly 2048 characters is kept', () => {
    const searches = [...Array.from({ length: 8 }, (_, i) => `${String(i)}${'c'.repeat(249)}`), 'e'.repeat(2048 - 8 * 251)];
    expect(searches.join(' ').length).toBe(2048);
    const r = computePodDNS(input({ dnsPolicy: 'None', dnsConfig: { nameservers: ['198.18.7.1'], searches } }));
    expect(r).toEqual(ok({ nameservers: ['198.18.7.1'], searches, options: [] }));
  });

  it('both limits at once: nameserver event first, then search event', () => {
    const r = computePodDNS(input({ dnsConfig: { nameservers: ['198.18.7.1', '198.18.7.2', '198.18.7.3'], searches: ['z'.repeat(300)] } }));
    expect(r.events.map((e) => e.message.split(' ')[0])).toEqual(['Nameserver', 'Search']);
  });
});

describe('computePodDNS: MissingClusterDNS', () => {
  it('ClusterFirst without --cluster-dns warns node and pod and falls back to Default', () => {
    const r = computePodDNS(input({}, { clusterDNS: [] }));
    const message = 'kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.';
    expect(r).toEqual({
      ok: true,
      config: HOST,
      events: [
        { type: 'Warning', reason: 'MissingClusterDNS', object: 'node', message },
        { type: 'Warning', reason: 'MissingClusterDNS', object: 'pod', message: `pod: "web_team(u-1)". ${message}` },
      ],
    });
  });

  it('Default and None never need cluster DNS', () => {
    expect(computePodDNS(input({ dnsPolicy: 'Default' }, { clusterDNS: [] })).events).toEqual([]);
  });
});

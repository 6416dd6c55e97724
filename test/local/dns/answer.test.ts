import { describe, expect, it } from 'vitest';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { answer } from '../../../src/local/dns/answer.ts';
import { buildSnapshot } from '../../../src/local/dns/snapshot.ts';
import { RCODE, TYPE, type Message } from '../../../src/local/dns/wire.ts';

const services: V1Service[] = [
  { metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '198.19.0.20', clusterIPs: ['198.19.0.20'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }] } },
  { metadata: { name: 'db', namespace: 'data' }, spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] } },
  { metadata: { name: 'empty', namespace: 'data' }, spec: { clusterIP: 'None' } },
  { metadata: { name: 'ext', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'db.example.invalid' } },
];
const slices: V1EndpointSlice[] = [
  {
    metadata: { name: 'db-abc', namespace: 'data', labels: { 'kubernetes.io/service-name': 'db' } },
    addressType: 'IPv4',
    ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    endpoints: [
      { addresses: ['198.18.16.5'], hostname: 'db-0', conditions: { ready: true } },
      { addresses: ['198.18.16.6'], conditions: {} },
      { addresses: ['198.18.16.7'], conditions: { ready: false } },
    ],
  },
];
const snapshot = buildSnapshot('cluster.local', services, slices, 42);

function ask(name: string, type: number, extra: Partial<Message> = {}): Message {
  return answer({ header: { id: 9, qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, rcode: 0 }, questions: [{ name, type, class: 1 }], answers: [], authorities: [], additionals: [], ...extra }, snapshot);
}

const data = (m: Message) => m.answers.map((a) => a.data);

describe('cluster DNS answers', () => {
  it('answers a ClusterIP service A query with TTL 30, authoritatively, echoing id and case', () => {
    const r = ask('Web.Default.svc.cluster.local.', TYPE.A);
    expect(r.header).toMatchObject({ id: 9, qr: true, aa: true, rd: true, rcode: RCODE.NOERROR });
    expect(r.answers).toEqual([{ name: 'Web.Default.svc.cluster.local.', type: TYPE.A, class: 1, ttl: 30, data: { kind: 'A', address: '198.19.0.20' } }]);
  });

  it('answers AAAA for an IPv4-only service with NOERROR, no records and the SOA', () => {
    const r = ask('web.default.svc.cluster.local.', TYPE.AAAA);
    expect([r.header.rcode, r.answers, r.authorities.map((a) => [a.type, a.ttl])]).toEqual([RCODE.NOERROR, [], [[TYPE.SOA, 5]]]);
  });

  it('answers a headless service with its ready endpoints (missing "ready" counts as ready)', () => {
    expect(data(ask('db.data.svc.cluster.local.', TYPE.A))).toEqual([{ kind: 'A', address: '198.18.16.5' }, { kind: 'A', address: '198.18.16.6' }]);
  });

  it('answers an endpoint by hostname, and by dashed IP when it has none', () => {
    expect(data(ask('db-0.db.data.svc.cluster.local.', TYPE.A))).toEqual([{ kind: 'A', address: '198.18.16.5' }]);
    expect(data(ask('198-18-16-6.db.data.svc.cluster.local.', TYPE.A))).toEqual([{ kind: 'A', address: '198.18.16.6' }]);
    expect(ask('db-9.db.data.svc.cluster.local.', TYPE.A).header.rcode).toBe(RCODE.NXDOMAIN);
  });

  it('answers SRV for a named port of a ClusterIP service, with the target address as additional', () => {
    const r = ask('_http._tcp.web.default.svc.cluster.local.', TYPE.SRV);
    expect(data(r)).toEqual([{ kind: 'SRV', priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local.' }]);
    expect(r.additionals).toEqual([{ name: 'web.default.svc.cluster.local.', type: TYPE.A, class: 1, ttl: 30, data: { kind: 'A', address: '198.19.0.20' } }]);
    expect(data(ask('_dns._udp.web.default.svc.cluster.local.', TYPE.SRV))).toEqual([{ kind: 'SRV', priority: 0, weight: 100, port: 53, target: 'web.default.svc.cluster.local.' }]);
    expect(ask('_dns._tcp.web.default.svc.cluster.local.', TYPE.SRV).header.rcode).toBe(RCODE.NXDOMAIN);
  });

  it('answers SRV on the service name with every port, weights shared', () => {
    expect(data(ask('web.default.svc.cluster.local.', TYPE.SRV)).map((d) => d.kind === 'SRV' && [d.port, d.weight])).toEqual([[80, 50], [53, 50]]);
  });

  it('answers SRV for a headless service with one record per endpoint, targets named by hostname', () => {
    const r = ask('_pg._tcp.db.data.svc.cluster.local.', TYPE.SRV);
    expect(data(r)).toEqual([
      { kind: 'SRV', priority: 0, weight: 50, port: 5432, target: 'db-0.db.data.svc.cluster.local.' },
      { kind: 'SRV', priority: 0, weight: 50, port: 5432, target: '198-18-16-6.db.data.svc.cluster.local.' },
    ]);
    expect(r.additionals.map((a) => [a.name, a.data])).toEqual([
      ['db-0.db.data.svc.cluster.local.', { kind: 'A', address: '198.18.16.5' }],
      ['198-18-16-6.db.data.svc.cluster.local.', { kind: 'A', address: '198.18.16.6' }],
    ]);
  });

  it('answers a pod name with the address it spells', () => {
    expect(data(ask('198-18-0-7.default.pod.cluster.local.', TYPE.A))).toEqual([{ kind: 'A', address: '198.18.0.7' }]);
    expect(ask('not-an-ip.default.pod.cluster.local.', TYPE.A).header.rcode).toBe(RCODE.NXDOMAIN);
  });

  it('answers an ExternalName service with a CNAME', () => {
    expect(data(ask('ext.default.svc.cluster.local.', TYPE.A))).toEqual([{ kind: 'CNAME', target: 'db.example.invalid.' }]);
  });

  it.each([
    ['unknown service', 'nope.default.svc.cluster.local.'],
    ['unknown namespace', 'unknown.svc.cluster.local.'],
    ['headless service without endpoints', 'empty.data.svc.cluster.local.'],
    ['unknown kind', 'web.default.foo.cluster.local.'],
    ['too many labels', 'a.b.c.web.default.svc.cluster.local.'],
  ])('NXDOMAIN with the SOA (TTL 5) for %s', (_name, qname) => {
    const r = ask(qname, TYPE.A);
    expect(r.header.rcode).toBe(RCODE.NXDOMAIN);
    expect(r.authorities).toEqual([{ name: 'cluster.local.', type: TYPE.SOA, class: 1, ttl: 5,
      data: { kind: 'SOA', mname: 'ns.dns.cluster.local.', rname: 'hostmaster.cluster.local.', serial: 42, refresh: 7200, retry: 1800, expire: 86400, minimum: 5 } }]);
  });

  it.each([
    ['the zone apex', 'cluster.local.'],
    ['svc', 'svc.cluster.local.'],
    ['a namespace with services', 'default.svc.cluster.local.'],
    ['a TXT query on a service', 'web.default.svc.cluster.local.'],
  ])('NODATA for %s', (_name, qname) => {
    const r = ask(qname, qname.startsWith('web') ? TYPE.TXT : TYPE.A);
    expect([r.header.rcode, r.answers.length, r.authorities[0]?.type]).toEqual([RCODE.NOERROR, 0, TYPE.SOA]);
  });

  it('answers SOA and NS at the apex', () => {
    expect(ask('cluster.local.', TYPE.SOA).answers[0]?.data).toMatchObject({ kind: 'SOA', serial: 42 });
    expect(data(ask('cluster.local.', TYPE.NS))).toEqual([{ kind: 'NS', target: 'ns.dns.cluster.local.' }]);
  });

  it('refuses names outside the cluster domain, and other opcodes or question counts', () => {
    const outside = ask('example.org.', TYPE.A);
    expect([outside.header.rcode, outside.header.aa]).toEqual([RCODE.REFUSED, false]);
    expect(ask('notcluster.local.', TYPE.A).header.rcode).toBe(RCODE.REFUSED);
    expect(ask('web.default.svc.cluster.local.', TYPE.A, { header: { id: 1, qr: false, opcode: 2, aa: false, tc: false, rd: false, ra: false, rcode: 0 } }).header.rcode).toBe(RCODE.NOTIMP);
    expect(ask('web.default.svc.cluster.local.', TYPE.A, { questions: [] }).header.rcode).toBe(RCODE.FORMERR);
  });

  it('answers reverse lookups of service and endpoint IPs, NXDOMAIN for others', () => {
    expect(data(ask('20.0.19.198.in-addr.arpa.', TYPE.PTR))).toEqual([{ kind: 'PTR', target: 'web.default.svc.cluster.local.' }]);
    expect(data(ask('5.16.18.198.in-addr.arpa.', TYPE.PTR))).toEqual([{ kind: 'PTR', target: 'db-0.db.data.svc.cluster.local.' }]);
    expect(data(ask('6.16.18.198.in-addr.arpa.', TYPE.PTR))).toEqual([{ kind: 'PTR', target: '198-18-16-6.db.data.svc.cluster.local.' }]);
    const unknown = ask('9.9.18.198.in-addr.arpa.', TYPE.PTR);
    expect([unknown.header.rcode, unknown.authorities[0]?.name]).toEqual([RCODE.NXDOMAIN, 'in-addr.arpa.']);
    expect(ask('18.198.in-addr.arpa.', TYPE.PTR).header.rcode).toBe(RCODE.NXDOMAIN);
    expect(ask('20.0.19.198.in-addr.arpa.', TYPE.A).answers).toEqual([]);
  });

  it('echoes EDNS with its own payload size', () => {
    const r = ask('web.default.svc.cluster.local.', TYPE.A, { additionals: [{ name: '.', type: TYPE.OPT, class: 4096, ttl: 0, data: { kind: 'raw', bytes: new Uint8Array() } }] });
    expect(r.additionals.map((a) => [a.type, a.class])).toEqual([[TYPE.OPT, 1232]]);
  });
});

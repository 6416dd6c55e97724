import { describe, expect, it } from 'vitest';
import type { DirEndpoint, DirService, DirSlice } from '../../src/network/service-directory/protocol.ts';
import { entryKey, forwardingTable } from '../../src/sidecar/rules.ts';

const svc = (over: Partial<DirService> = {}): DirService => ({
  namespace: 'default', name: 'web', clusterIPs: ['198.19.0.20'],
  ports: [{ name: 'http', protocol: 'TCP', port: 80 }], affinitySeconds: null, ...over,
});
const ep = (address: string, c: Partial<DirEndpoint> = {}): DirEndpoint => ({ address, ready: true, serving: true, terminating: false, ...c });
const slice = (name: string, endpoints: DirEndpoint[], over: Partial<DirSlice> = {}): DirSlice => ({
  namespace: 'default', name, serviceName: 'web', addressType: 'IPv4', endpoints,
  ports: [{ name: 'http', protocol: 'TCP', port: 8080 }], ...over,
});
const backendsOf = (services: DirService[], slices: DirSlice[], key = entryKey('198.19.0.20', 80, 'TCP')): string[] | undefined =>
  forwardingTable(services, slices).get(key)?.backends.map((b) => `${b.address}:${b.port}`);

describe('forwardingTable', () => {
  it.each<[string, DirService[], DirSlice[], string[] | undefined]>([
    ['ready endpoints, port resolved by name', [svc()], [slice('a', [ep('198.18.0.2'), ep('198.18.0.3')])], ['198.18.0.2:8080', '198.18.0.3:8080']],
    ['not-ready endpoints are left out', [svc()], [slice('a', [ep('198.18.0.2'), ep('198.18.0.3', { ready: false, serving: false })])], ['198.18.0.2:8080']],
    ['no ready: serving+terminating ones are used', [svc()],
      [slice('a', [ep('198.18.0.2', { ready: false, serving: true, terminating: true }), ep('198.18.0.3', { ready: false, serving: false, terminating: true }), ep('198.18.0.4', { ready: false, serving: true, terminating: false })])],
      ['198.18.0.2:8080']],
    ['ready wins over serving+terminating', [svc()],
      [slice('a', [ep('198.18.0.2', { ready: false, serving: true, terminating: true }), ep('198.18.0.3')])], ['198.18.0.3:8080']],
    ['no endpoints: an entry with no backends (refuse)', [svc()], [], []],
    ['slice port with another name does not match', [svc()], [slice('a', [ep('198.18.0.2')], { ports: [{ name: 'metrics', protocol: 'TCP', port: 9090 }] })], []],
    ['slice port with the same name but UDP does not match', [svc()], [slice('a', [ep('198.18.0.2')], { ports: [{ name: 'http', protocol: 'UDP', port: 8080 }] })], []],
    ['slices of another service are ignored', [svc()], [slice('a', [ep('198.18.0.2')], { serviceName: 'other' })], []],
    ['slices in another namespace are ignored', [svc()], [slice('a', [ep('198.18.0.2')], { namespace: 'kube-system' })], []],
    ['IPv6 slices do not feed an IPv4 ClusterIP', [svc()], [slice('a', [ep('fd00::2')], { addressType: 'IPv6' })], []],
    ['endpoints are merged across slices and deduplicated', [svc()],
      [slice('a', [ep('198.18.0.2')]), slice('b', [ep('198.18.0.2'), ep('198.18.0.5')])], ['198.18.0.2:8080', '198.18.0.5:8080']],
    ['headless Service (no ClusterIPs) gets no entry', [svc({ clusterIPs: [] })], [slice('a', [ep('198.18.0.2')])], undefined],
    ['clusterIP None gets no entry', [svc({ clusterIPs: ['None'] })], [slice('a', [ep('198.18.0.2')])], undefined],
  ])('%s', (_name, services, slices, expected) => {
    expect(backendsOf(services, slices)).toEqual(expected);
  });

  it('makes one entry per ClusterIP, port and protocol, carrying affinity', () => {
    const dns = svc({
      namespace: 'kube-system', name: 'kube-dns', clusterIPs: ['198.19.0.10'], affinitySeconds: 60,
      ports: [{ name: 'dns', protocol: 'UDP', port: 53 }, { name: 'dns-tcp', protocol: 'TCP', port: 53 }],
    });
    const s = slice('kube-dns-x', [ep('198.18.16.5')], {
      namespace: 'kube-system', serviceName: 'kube-dns',
      ports: [{ name: 'dns', protocol: 'UDP', port: 5353 }, { name: 'dns-tcp', protocol: 'TCP', port: 5354 }],
    });
    const table = forwardingTable([dns], [s]);
    expect([...table.keys()].sort()).toEqual(['TCP/198.19.0.10:53', 'UDP/198.19.0.10:53']);
    expect(table.get('UDP/198.19.0.10:53')).toMatchObject({ affinitySeconds: 60, backends: [{ address: '198.18.16.5', port: 5353 }] });
    expect(table.get('TCP/198.19.0.10:53')?.backends).toEqual([{ address: '198.18.16.5', port: 5354 }]);
  });

  it('dual-stack Services get an entry per family', () => {
    const table = forwardingTable([svc({ clusterIPs: ['198.19.0.20', 'fd00:19::20'] })],
      [slice('a', [ep('198.18.0.2')]), slice('b', [ep('fd00::2')], { addressType: 'IPv6' })]);
    expect(table.get('TCP/[fd00:19::20]:80')?.backends).toEqual([{ address: 'fd00::2', port: 8080 }]);
    expect(table.get('TCP/198.19.0.20:80')?.backends).toEqual([{ address: '198.18.0.2', port: 8080 }]);
  });
});

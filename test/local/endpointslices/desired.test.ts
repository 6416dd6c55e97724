import { describe, expect, it } from 'vitest';
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { desiredSlices, podEndpoint } from '../../../src/local/endpointslices/desired.ts';

const service = (spec: Partial<V1Service['spec']> = {}, labels: Record<string, string> = {}): V1Service => ({
  metadata: { name: 'web', namespace: 'default', uid: 'svc-uid', labels },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }], ...spec },
});

const pod = (name: string, opts: { ip?: string; ready?: boolean; deleting?: boolean; phase?: string; labels?: Record<string, string>; namespace?: string; hostname?: string; subdomain?: string; ports?: Array<{ name: string; containerPort: number; protocol?: string }> } = {}): V1Pod => ({
  metadata: {
    name,
    namespace: opts.namespace ?? 'default',
    uid: `${name}-uid`,
    labels: opts.labels ?? { app: 'web' },
    ...(opts.deleting ? { deletionTimestamp: new Date(0) } : {}),
  },
  spec: { nodeName: 'n1', hostname: opts.hostname, subdomain: opts.subdomain, containers: [{ name: 'c', ports: opts.ports }] },
  status: {
    phase: opts.phase ?? 'Running',
    podIP: opts.ip,
    conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
  },
});

describe('podEndpoint conditions', () => {
  const cases: Array<[string, V1Service, V1Pod, object | undefined]> = [
    ['ready pod', service(), pod('a', { ip: '198.18.0.5' }), { ready: true, serving: true, terminating: false }],
    ['not ready pod', service(), pod('a', { ip: '198.18.0.5', ready: false }), { ready: false, serving: false, terminating: false }],
    ['terminating ready pod', service(), pod('a', { ip: '198.18.0.5', deleting: true }), { ready: false, serving: true, terminating: true }],
    ['publishNotReadyAddresses', service({ publishNotReadyAddresses: true }), pod('a', { ip: '198.18.0.5', ready: false, deleting: true }),
      { ready: true, serving: true, terminating: true }],
    ['no IP yet', service(), pod('a'), undefined],
    ['IPv6 only', service(), pod('a', { ip: 'fd00::5' }), undefined],
    ['succeeded', service(), pod('a', { ip: '198.18.0.5', phase: 'Succeeded' }), undefined],
  ];
  it.each(cases)('%s', (_name, svc, p, want) => {
    expect(podEndpoint(svc, p)?.conditions).toEqual(want);
  });

  it('carries nodeName, targetRef and the hostname when the subdomain names the service', () => {
    expect(podEndpoint(service(), pod('a', { ip: '198.18.0.5', hostname: 'h', subdomain: 'web' }))).toEqual({
      addresses: ['198.18.0.5'],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: 'n1',
      hostname: 'h',
      targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'a-uid' },
    });
    expect(podEndpoint(service(), pod('a', { ip: '198.18.0.5', hostname: 'h', subdomain: 'other' }))?.hostname).toBeUndefined();
  });
});

describe('desiredSlices', () => {
  it('lists matching pods with IPs in one labelled, owned slice', () => {
    const pods = [pod('b', { ip: '198.18.0.6' }), pod('a', { ip: '198.18.0.5' }), pod('x', { ip: '198.18.0.7', labels: { app: 'db' } }),
      pod('y', { ip: '198.18.0.8', namespace: 'other' }), pod('z')];
    const [slice, ...rest] = desiredSlices(service({}, { team: 'blue' }), pods);
    expect(rest).toEqual([]);
    expect(slice!.metadata).toEqual({
      generateName: 'web-',
      namespace: 'default',
      labels: { team: 'blue', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true }],
    });
    expect(slice!.addressType).toBe('IPv4');
    expect(slice!.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(slice!.endpoints!.map((e) => e.addresses[0])).toEqual(['198.18.0.5', '198.18.0.6']);
  });

  it('resolves named target ports per pod and groups pods by the resulting ports', () => {
    const svc = service({ ports: [{ name: 'http', port: 80, targetPort: 'web' }, { name: 'dns', port: 53, targetPort: 'dns', protocol: 'UDP' }] });
    const pods = [
      pod('a', { ip: '198.18.0.5', ports: [{ name: 'web', containerPort: 8080 }, { name: 'dns', containerPort: 5353, protocol: 'UDP' }] }),
      pod('b', { ip: '198.18.0.6', ports: [{ name: 'web', containerPort: 9090 }, { name: 'dns', containerPort: 5353, protocol: 'TCP' }] }),
    ];
    const slices = desiredSlices(svc, pods);
    expect(slices.map((s) => [s.ports, s.endpoints!.map((e) => e.targetRef!.name)])).toEqual([
      [[{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'dns', port: 5353, protocol: 'UDP' }], ['a']],
      // b's "dns" port is TCP, so the UDP service port does not resolve for it.
      [[{ name: 'http', port: 9090, protocol: 'TCP' }], ['b']],
    ]);
  });

  it('defaults targetPort to port', () => {
    const [slice] = desiredSlices(service({ ports: [{ port: 6379 }] }), [pod('a', { ip: '198.18.0.5' })]);
    expect(slice!.ports).toEqual([{ name: '', port: 6379, protocol: 'TCP' }]);
  });

  it('splits at 100 endpoints per slice', () => {
    const pods = Array.from({ length: 250 }, (_, i) => pod(`p${String(i).padStart(3, '0')}`, { ip: `198.18.${i >> 8}.${i & 255}` }));
    expect(desiredSlices(service(), pods).map((s) => s.endpoints!.length)).toEqual([100, 100, 50]);
  });

  it('keeps a placeholder slice when no pod matches, and marks headless services', () => {
    const slices = desiredSlices(service({ clusterIP: 'None', ports: [] }), []);
    expect(slices).toHaveLength(1);
    expect(slices[0]!.endpoints).toEqual([]);
    expect(slices[0]!.ports).toBeUndefined();
    expect(slices[0]!.metadata!.labels!['service.kubernetes.io/headless']).toBe('');
  });

  it.each([
    ['no selector', service({ selector: undefined })],
    ['empty selector', service({ selector: {} })],
    ['ExternalName', service({ type: 'ExternalName', externalName: 'example.invalid' })],
  ])('manages nothing for a service with %s', (_name, svc) => {
    expect(desiredSlices(svc, [pod('a', { ip: '198.18.0.5' })])).toEqual([]);
  });
});

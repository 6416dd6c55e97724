import { describe, expect, it } from 'vitest';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { trimEndpointSlice, trimService } from '../../../src/network/service-directory/trim.ts';

const meta = { namespace: 'default', name: 'web' };

describe('trimService', () => {
  it.each<[string, V1Service, unknown]>([
    ['ClusterIP with defaults', { metadata: meta, spec: { clusterIP: '198.19.0.20', ports: [{ port: 80 }] } },
      { clusterIPs: ['198.19.0.20'], ports: [{ name: '', protocol: 'TCP', port: 80 }], affinitySeconds: null }],
    ['dual stack, named UDP port, SCTP dropped', { metadata: meta, spec: { clusterIPs: ['198.19.0.20', 'fd00::20'], ports: [{ name: 'dns', protocol: 'UDP', port: 53 }, { name: 's', protocol: 'SCTP', port: 9 }] } },
      { clusterIPs: ['198.19.0.20', 'fd00::20'], ports: [{ name: 'dns', protocol: 'UDP', port: 53 }] }],
    ['ClientIP affinity, default timeout', { metadata: meta, spec: { clusterIP: '198.19.0.20', sessionAffinity: 'ClientIP' } }, { affinitySeconds: 10_800 }],
    ['ClientIP affinity, own timeout', { metadata: meta, spec: { clusterIP: '198.19.0.20', sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 30 } } } }, { affinitySeconds: 30 }],
    ['headless', { metadata: meta, spec: { clusterIP: 'None', ports: [{ port: 80 }] } }, { clusterIPs: [], ports: [] }],
    ['ExternalName', { metadata: meta, spec: { type: 'ExternalName', externalName: 'example.invalid', ports: [{ port: 80 }] } }, { clusterIPs: [], ports: [] }],
  ])('%s', (_name, input, expected) => {
    expect(trimService(input)).toMatchObject({ namespace: 'default', name: 'web', ...(expected as object) });
  });
});

describe('trimEndpointSlice', () => {
  const base: V1EndpointSlice = {
    metadata: { ...meta, name: 'web-abc', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: [
      { addresses: ['198.18.0.2'] },
      { addresses: ['198.18.0.3'], conditions: { ready: false } },
      { addresses: ['198.18.0.4'], conditions: { ready: false, serving: true, terminating: true } },
    ],
    ports: [{ name: 'http', port: 8080 }],
  };

  it('fills the conditions as Kubernetes defines their absence', () => {
    expect(trimEndpointSlice(base)).toEqual({
      namespace: 'default', name: 'web-abc', serviceName: 'web', addressType: 'IPv4',
      endpoints: [
        { address: '198.18.0.2', ready: true, serving: true, terminating: false },
        { address: '198.18.0.3', ready: false, serving: false, terminating: false },
        { address: '198.18.0.4', ready: false, serving: true, terminating: true },
      ],
      ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
    });
  });

  it.each<[string, V1EndpointSlice]>([
    ['without the service-name label', { ...base, metadata: meta }],
    ['FQDN address type', { ...base, addressType: 'FQDN' }],
  ])('drops a slice %s', (_name, input) => {
    expect(trimEndpointSlice(input)).toBeNull();
  });
});

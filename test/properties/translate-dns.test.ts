// Properties of the pod translation and its DNS: any pod the API server would store is either
// translated to a CCI pod the CCI API accepts (the mock's admission, which is CCI's validation)
// or refused with a reason and a message, never an exception; resolv.conf text of any shape
// parses.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { translatePod } from '../../src/cci-provider/translate/translate-pod.ts';
import { computePodDNS, MAX_NAMESERVERS, MAX_SEARCH_PATHS } from '../../src/network/dns/pod-dns.ts';
import { parseResolvConf } from '../../src/network/dns/resolv-conf.ts';
import { validatePod } from '../../src/mock-cci/admission.ts';
import { input } from '../cci-provider/translate/fixtures.ts';
import { check, decided, hostileString } from './budget.ts';

const dnsLabel = fc.stringMatching(/^[a-z]([-a-z0-9]{0,10}[a-z0-9])?$/);
// Pod and Deployment names are DNS subdomains: dots are allowed, up to 253 characters.
const podName = fc.oneof(dnsLabel, fc.array(dnsLabel, { minLength: 2, maxLength: 4 }).map((p) => p.join('.')), fc.constant(`${'a'.repeat(62)}.-x`.replace('.-', '.b')), fc.constant('a'.repeat(253)));
const quantity = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('100m', '250m', '500m', '1', '2', '512Mi', '1Gi', '2Gi') },
  fc.constantFrom('100m', '250m', '1', '2', '64', '65', '0.5', '512Mi', '1Gi', '4Gi', '600Gi', '1e3', '0', '1u', '1Ei', 'nonsense', ''),
  hostileString('0123456789.mkMGiE', 12),
);
const resources = fc.record({
  requests: fc.dictionary(fc.oneof({ weight: 9, arbitrary: fc.constantFrom('cpu', 'memory', 'ephemeral-storage') }, fc.constant('nvidia.com/gpu')), quantity, { maxKeys: 3 }),
  limits: fc.dictionary(fc.constantFrom('cpu', 'memory', 'ephemeral-storage'), quantity, { maxKeys: 3 }),
}, { requiredKeys: [] });
// kube-apiserver validates dnsConfig nameservers as IP addresses.
const ip = fc.oneof(fc.ipV4(), fc.ipV6(), fc.constant('198.19.0.10'));
const envVar = fc.oneof(
  fc.record({ name: fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/), value: fc.string({ maxLength: 20 }) }),
  fc.record({ name: fc.constant('FROM'), valueFrom: fc.oneof(
    fc.record({ fieldRef: fc.record({ fieldPath: fc.constantFrom('metadata.name', 'metadata.namespace', 'status.podIP', 'spec.nodeName', 'metadata.labels[\'app\']', 'bogus') }) }),
    fc.record({ resourceFieldRef: fc.record({ resource: fc.constantFrom('limits.cpu', 'requests.memory', 'limits.bogus'), divisor: fc.option(quantity, { nil: undefined }) }, { requiredKeys: ['resource'] }) }),
    fc.record({ configMapKeyRef: fc.record({ name: dnsLabel, key: dnsLabel, optional: fc.boolean() }) }),
    fc.record({ secretKeyRef: fc.record({ name: dnsLabel, key: dnsLabel, optional: fc.boolean() }) }),
  ) }),
);
const container = (name: fc.Arbitrary<string>): fc.Arbitrary<V1Container> => fc.record({
  name,
  image: fc.constantFrom('busybox', 'nginx:1.27', 'registry.example/app@sha256:' + 'a'.repeat(64)),
  command: fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
  env: fc.array(envVar, { maxLength: 3 }),
  resources,
  ports: fc.array(fc.record({ containerPort: fc.integer({ min: 1, max: 65535 }), protocol: fc.constantFrom('TCP', 'UDP', 'SCTP') }), { maxLength: 2 }),
}, { requiredKeys: ['name', 'image'] });
const volume = fc.oneof(
  fc.record({ name: dnsLabel, emptyDir: fc.record({ medium: fc.constantFrom('', 'Memory'), sizeLimit: quantity }, { requiredKeys: [] }) }),
  fc.record({ name: dnsLabel, configMap: fc.record({ name: dnsLabel, optional: fc.boolean() }) }),
  fc.record({ name: dnsLabel, hostPath: fc.record({ path: fc.constantFrom('/etc/localtime', '/var/run/docker.sock', '/') }) }),
  fc.record({ name: dnsLabel, persistentVolumeClaim: fc.record({ claimName: dnsLabel }) }),
);
const pod: fc.Arbitrary<V1Pod> = fc.record({
  name: podName,
  namespace: dnsLabel,
  containers: fc.uniqueArray(container(dnsLabel), { minLength: 1, maxLength: 3, selector: (c) => c.name }),
  initContainers: fc.uniqueArray(container(dnsLabel.map((n) => `init-${n}`)), { maxLength: 2, selector: (c) => c.name }),
  volumes: fc.uniqueArray(volume, { maxLength: 3, selector: (v) => v.name }),
  dnsPolicy: fc.constantFrom('ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None', undefined),
  dnsConfig: fc.option(fc.record({
    nameservers: fc.array(ip, { maxLength: 5 }),
    searches: fc.array(fc.oneof(dnsLabel, fc.string({ maxLength: 30 })), { maxLength: 40 }),
    options: fc.array(fc.record({ name: fc.constantFrom('ndots', 'timeout', 'rotate', 'x'), value: fc.option(fc.string({ maxLength: 4 }), { nil: undefined }) }, { requiredKeys: ['name'] }), { maxLength: 4 }),
  }, { requiredKeys: [] }), { nil: undefined }),
  hostNetwork: fc.oneof({ weight: 10, arbitrary: fc.constant(undefined) }, fc.boolean()),
  restartPolicy: fc.constantFrom('Always', 'OnFailure', 'Never'),
  hostAliases: fc.array(fc.record({ ip: fc.oneof(fc.ipV4(), fc.ipV6()), hostnames: fc.array(dnsLabel, { maxLength: 2 }) }), { maxLength: 2 }),
  subdomain: fc.option(dnsLabel, { nil: undefined }),
}).map((p): V1Pod => ({
  metadata: { name: p.name, namespace: p.namespace, uid: 'uid-1' },
  spec: {
    containers: p.containers, initContainers: p.initContainers, volumes: p.volumes, restartPolicy: p.restartPolicy,
    hostAliases: p.hostAliases, nodeName: 'burst-1',
    ...(p.dnsPolicy ? { dnsPolicy: p.dnsPolicy } : {}),
    ...(p.dnsConfig ? { dnsConfig: p.dnsConfig } : {}),
    ...(p.hostNetwork !== undefined ? { hostNetwork: p.hostNetwork } : {}),
    ...(p.subdomain ? { subdomain: p.subdomain } : {}),
  },
}));
const clusterDNS = fc.array(fc.ipV4(), { minLength: 0, maxLength: 4 });

describe('translatePod', () => {
  it('any pod becomes a CCI pod the CCI API accepts, or a refusal with a reason and a message', () => {
    check(fc.property(pod, clusterDNS, fc.constantFrom('truncate', 'reject') as fc.Arbitrary<'truncate' | 'reject'>, (p, dns, overflow) => {
      const result = decided(() => translatePod(input(p, {}, { clusterDNS: dns, overflow })));
      if (!('value' in result)) return;
      const r = result.value;
      if (r.ok) expect(validatePod(r.pod)).toEqual([]);
      else {
        expect(r.reason).toMatch(/^[A-Z][A-Za-z]+$/);
        expect(r.message.length).toBeGreaterThan(0);
      }
    }));
  });
});

describe('pod DNS', () => {
  it('any dnsPolicy and dnsConfig yield at most 3 nameservers and 32 searches, or the typed refusal', () => {
    check(fc.property(pod, clusterDNS, fc.constantFrom('truncate', 'reject') as fc.Arbitrary<'truncate' | 'reject'>, (p, dns, overflow) => {
      const r = decided(() => computePodDNS({ pod: p, clusterDNS: dns, clusterDomain: 'cluster.local', hostResolvConf: null, overflow }));
      if (!('value' in r)) return;
      if (r.value.ok) {
        expect(r.value.config.nameservers.length).toBeLessThanOrEqual(MAX_NAMESERVERS);
        expect(r.value.config.searches.length).toBeLessThanOrEqual(MAX_SEARCH_PATHS);
      } else expect(r.value.reason).toBe('DNSNameserverLimitExceeded');
    }));
  });

  it('any resolv.conf text parses', () => {
    check(fc.property(hostileString('nameserver search options domain # ;:.\n\t0123456789abc', 2000), (text) => {
      decided(() => parseResolvConf(text));
    }));
  });
});

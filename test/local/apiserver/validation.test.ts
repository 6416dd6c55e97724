import { describe, expect, it } from 'vitest';
import { validateMeta, validatePodSpec, validatePodUpdate, validateServiceSpec, validateEndpointSlice, validateEvent } from '../../../src/local/apiserver/validation.ts';

const container = { name: 'c', image: 'img' };
const fields = (causes: { field?: string }[]) => causes.map((c) => c.field);

describe('pod spec validation', () => {
  it.each([
    ['a minimal pod', { containers: [container] }, []],
    ['no containers', { containers: [] }, ['spec.containers']],
    ['container without image', { containers: [{ name: 'c' }] }, ['spec.containers[0].image']],
    ['bad container name', { containers: [{ name: 'C_1', image: 'x' }] }, ['spec.containers[0].name']],
    ['duplicate container names', { containers: [container, container] }, ['spec.containers[1].name']],
    ['init container clashing with a container', { containers: [container], initContainers: [container] }, ['spec.initContainers[0].name']],
    ['port out of range', { containers: [{ ...container, ports: [{ containerPort: 70000 }] }] }, ['spec.containers[0].ports[0].containerPort']],
    ['mount of an unknown volume', { containers: [{ ...container, volumeMounts: [{ name: 'v', mountPath: '/v' }] }] }, ['spec.containers[0].volumeMounts[0].name']],
    ['mount of a declared volume', { volumes: [{ name: 'v', emptyDir: {} }], containers: [{ ...container, volumeMounts: [{ name: 'v', mountPath: '/v' }] }] }, []],
    ['bad restartPolicy', { containers: [container], restartPolicy: 'Sometimes' }, ['spec.restartPolicy']],
    ['dnsPolicy None without dnsConfig', { containers: [container], dnsPolicy: 'None' }, ['spec.dnsConfig']],
    ['dnsPolicy None with a nameserver', { containers: [container], dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'] } }, []],
    ['4 nameservers', { containers: [container], dnsConfig: { nameservers: ['198.18.0.1', '198.18.0.2', '198.18.0.3', '198.18.0.4'] } }, ['spec.dnsConfig.nameservers']],
    ['a nameserver that is not an IP', { containers: [container], dnsConfig: { nameservers: ['dns.local'] } }, ['spec.dnsConfig.nameservers[0]']],
    ['33 searches', { containers: [container], dnsConfig: { searches: Array.from({ length: 33 }, (_, i) => `s${i}.local`) } }, ['spec.dnsConfig.searches']],
    ['32 searches', { containers: [container], dnsConfig: { searches: Array.from({ length: 32 }, (_, i) => `s${i}.local`) } }, []],
    ['searches over 2048 chars', { containers: [container], dnsConfig: { searches: Array.from({ length: 20 }, () => `${'a'.repeat(60)}.${'b'.repeat(60)}`) } }, ['spec.dnsConfig.searches']],
    ['toleration Exists with a value', { containers: [container], tolerations: [{ key: 'k', operator: 'Exists', value: 'v' }] }, ['spec.tolerations[0].operator']],
    ['negative grace period', { containers: [container], terminationGracePeriodSeconds: -1 }, ['spec.terminationGracePeriodSeconds']],
  ])('%s', (_name, spec, expected) => {
    expect(fields(validatePodSpec(spec))).toEqual(expected);
  });

  // Issue #12 item 8: a volume named ../../../../victim with mode 04755 wrote a setuid file outside the mock's state dir.
  const mounted = (mount: object) => [{ ...container, volumeMounts: [{ name: 'v', mountPath: '/v', ...mount }] }];
  const item = (o: object) => ({ key: 'k', path: 'k', ...o });
  it.each([
    ['a volume named with dot-segments', { volumes: [{ name: '../../../../victim', emptyDir: {} }], containers: [container] }, ['spec.volumes[0].name']],
    ['a setuid defaultMode', { volumes: [{ name: 'v', secret: { secretName: 's', defaultMode: 0o4755 } }], containers: [container] }, ['spec.volumes[0].secret.defaultMode']],
    ['a negative defaultMode', { volumes: [{ name: 'v', configMap: { name: 'c', defaultMode: -1 } }], containers: [container] }, ['spec.volumes[0].configMap.defaultMode']],
    ['mode 0777 and 0', { volumes: [{ name: 'v', secret: { secretName: 's', defaultMode: 0o777, items: [item({ mode: 0 })] } }], containers: [container] }, []],
    ['an item mode over 0777', { volumes: [{ name: 'v', configMap: { name: 'c', items: [item({ mode: 0o1777 })] } }], containers: [container] }, ['spec.volumes[0].configMap.items[0].mode']],
    ['an item path with ..', { volumes: [{ name: 'v', secret: { secretName: 's', items: [item({ path: 'a/../../b' })] } }], containers: [container] }, ['spec.volumes[0].secret.items[0].path']],
    ['an absolute item path', { volumes: [{ name: 'v', secret: { secretName: 's', items: [item({ path: '/etc/passwd' })] } }], containers: [container] }, ['spec.volumes[0].secret.items[0].path']],
    ['an item path starting with ..', { volumes: [{ name: 'v', secret: { secretName: 's', items: [item({ path: '..data' })] } }], containers: [container] }, ['spec.volumes[0].secret.items[0].path']],
    ['an item without key and path', { volumes: [{ name: 'v', secret: { secretName: 's', items: [{}] } }], containers: [container] }, ['spec.volumes[0].secret.items[0].key', 'spec.volumes[0].secret.items[0].path']],
    ['a downwardAPI item path with ..', { volumes: [{ name: 'v', downwardAPI: { items: [{ path: '../x', fieldRef: { fieldPath: 'metadata.name' } }] } }], containers: [container] }, ['spec.volumes[0].downwardAPI.items[0].path']],
    ['projected: a token path with .. and a bad mode', {
      volumes: [{ name: 'v', projected: { defaultMode: 0o4644, sources: [{ serviceAccountToken: { path: '../token' } }, { secret: { name: 's', items: [item({ mode: 0o2755 })] } }] } }],
      containers: [container],
    }, ['spec.volumes[0].projected.defaultMode', 'spec.volumes[0].projected.sources[0].serviceAccountToken.path', 'spec.volumes[0].projected.sources[1].secret.items[0].mode']],
    ['a subPath with ..', { volumes: [{ name: 'v', emptyDir: {} }], containers: mounted({ subPath: 'a/../../etc' }) }, ['spec.containers[0].volumeMounts[0].subPath']],
    ['an absolute subPath', { volumes: [{ name: 'v', emptyDir: {} }], containers: mounted({ subPath: '/etc' }) }, ['spec.containers[0].volumeMounts[0].subPath']],
    ['a subPath below the volume', { volumes: [{ name: 'v', emptyDir: {} }], containers: mounted({ subPath: 'a/b..c/d' }) }, []],
  ])('%s', (_name, spec, expected) => {
    expect(fields(validatePodSpec(spec))).toEqual(expected);
  });

  // Issue #12 item 7: "1e999999999" blocked the event loop 21 s wherever it was parsed (the scheduler too).
  it.each([
    ['a cpu limit no int64 holds', { limits: { cpu: '1e999999999' } }, ['spec.containers[0].resources.limits[cpu]']],
    ['a negative request', { requests: { cpu: '-1' } }, ['spec.containers[0].resources.requests[cpu]']],
    ['ordinary quantities', { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', 'ephemeral-storage': '1Gi' } }, []],
  ])('%s', (_name, resources, expected) => {
    expect(fields(validatePodSpec({ containers: [{ ...container, resources }] }))).toEqual(expected);
  });

  // Differential fidelity: kube-apiserver cannot decode such a body (400), it never validates it.
  it('a quantity that is not quantity-shaped is a 400 BadRequest, as kube-apiserver\'s decoding answers', () => {
    expect(() => validatePodSpec({ containers: [{ ...container, resources: { requests: { memory: '1 GB' } } }] })).toThrow(expect.objectContaining({ status: expect.objectContaining({ code: 400, reason: 'BadRequest' }) }));
  });

  it('words volume refusals as kube-apiserver does', () => {
    const causes = validatePodSpec({ volumes: [{ name: 'v', secret: { secretName: 's', defaultMode: 2541, items: [{ key: 'k', path: '../x' }] } }], containers: [container] });
    expect(causes.map((c) => c.message)).toEqual([
      'Invalid value: 2541: must be a number between 0 and 0777 (octal), both inclusive',
      'Invalid value: "../x": must not contain \'..\'',
    ]);
  });

  it('uses kube-apiserver messages', () => {
    const [cause] = validatePodSpec({ containers: [container], dnsConfig: { nameservers: ['198.18.0.1', '198.18.0.2', '198.18.0.3', '198.18.0.4'] } });
    expect(cause).toMatchObject({ reason: 'FieldValueInvalid', message: expect.stringContaining('must not have more than 3 nameservers') });
  });
});

describe('pod updates', () => {
  const spec = { containers: [container], nodeName: 'n1', tolerations: [] };
  it('allows image changes and rejects other spec changes', () => {
    expect(validatePodUpdate({ ...spec, containers: [{ ...container, image: 'img:2' }] }, spec)).toEqual([]);
    expect(fields(validatePodUpdate({ ...spec, nodeName: 'n2' }, spec))).toEqual(['spec']);
  });
  it('ignores key order', () => {
    expect(validatePodUpdate({ tolerations: [], nodeName: 'n1', containers: [{ image: 'img', name: 'c' }] }, spec)).toEqual([]);
  });

  describe('scheduling gates and the directives a gated pod may narrow', () => {
    const expr = (key: string, values: string[]) => ({ key, operator: 'In', values });
    const required = (...terms: unknown[]) => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } });
    const gated = { containers: [container], schedulingGates: [{ name: 'a' }, { name: 'b' }], nodeSelector: { zone: 'x' } };
    it('gates may be removed, never added', () => {
      expect(validatePodUpdate({ ...gated, schedulingGates: [{ name: 'b' }] }, gated)).toEqual([]);
      expect(validatePodUpdate({ ...gated, schedulingGates: [] }, gated)).toEqual([]);
      const [cause] = validatePodUpdate({ ...gated, schedulingGates: [{ name: 'a' }, { name: 'c' }] }, gated);
      expect(cause).toMatchObject({ field: 'spec.schedulingGates', message: "Forbidden: only deletion is allowed, but found new scheduling gate 'c'" });
    });
    it('while gated: node selector additions, required affinity set or narrowed, preferred terms changed', () => {
      expect(validatePodUpdate({ ...gated, nodeSelector: { zone: 'x', disk: 'ssd' } }, gated)).toEqual([]);
      expect(validatePodUpdate({ ...gated, affinity: required({ matchExpressions: [expr('type', ['v'])] }) }, gated)).toEqual([]);
      const before = { ...gated, affinity: required({ matchExpressions: [expr('zone', ['a'])] }, { matchFields: [expr('metadata.name', ['n'])] }) };
      const narrowed = { ...gated, schedulingGates: [], affinity: required({ matchExpressions: [expr('zone', ['a']), expr('type', ['v'])] }, { matchFields: [expr('metadata.name', ['n'])], matchExpressions: [expr('type', ['v'])] }) };
      expect(validatePodUpdate(narrowed, before)).toEqual([]);
      const preferred = { ...gated, affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [expr('a', ['b'])] } }] } } };
      expect(validatePodUpdate(preferred, gated)).toEqual([]);
    });
    it('while gated: no widening', () => {
      expect(fields(validatePodUpdate({ ...gated, nodeSelector: {} }, gated))).toEqual(['spec.nodeSelector']);
      const before = { ...gated, affinity: required({ matchExpressions: [expr('zone', ['a'])] }) };
      expect(fields(validatePodUpdate({ ...gated, affinity: required({ matchExpressions: [expr('zone', ['a', 'b'])] }) }, before))).toEqual(['spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]']);
      expect(fields(validatePodUpdate({ ...gated, affinity: required({ matchExpressions: [expr('zone', ['a'])] }, { matchExpressions: [expr('b', ['c'])] }) }, before))).toEqual(['spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms']);
      expect(fields(validatePodUpdate({ ...gated, affinity: { podAffinity: {} } }, gated))).toEqual(['spec']);
    });
    it('once ungated, node selector and affinity are fixed', () => {
      const free = { containers: [container], nodeSelector: { zone: 'x' } };
      expect(fields(validatePodUpdate({ ...free, nodeSelector: { zone: 'x', disk: 'ssd' } }, free))).toEqual(['spec']);
      expect(fields(validatePodUpdate({ ...free, affinity: required({ matchExpressions: [expr('type', ['v'])] }) }, free))).toEqual(['spec']);
    });
  });
});

describe('metadata', () => {
  it.each([
    ['ok', { metadata: { name: 'a-b.c', labels: { 'example.com/x': 'y' } } }, [], false],
    ['no name', { metadata: {} }, ['metadata.name'], false],
    ['uppercase name', { metadata: { name: 'Ab' } }, ['metadata.name'], false],
    ['dots in a DNS-label name', { metadata: { name: 'a.b' } }, ['metadata.name'], true],
    ['bad label value', { metadata: { name: 'a', labels: { k: 'bad value' } } }, ['metadata.labels[k]'], false],
  ])('%s', (_n, obj, expected, labelNames) => {
    expect(fields(validateMeta(obj, labelNames))).toEqual(expected);
  });
});

describe('service spec validation', () => {
  it.each([
    ['one unnamed port', { ports: [{ port: 80 }] }, []],
    ['two unnamed ports', { ports: [{ port: 80 }, { port: 443 }] }, ['spec.ports[0].name', 'spec.ports[1].name']],
    ['duplicate names', { ports: [{ name: 'a', port: 80 }, { name: 'a', port: 443 }] }, ['spec.ports[1].name']],
    ['port out of range', { ports: [{ port: 0 }] }, ['spec.ports[0].port']],
    ['bad protocol', { ports: [{ port: 53, protocol: 'ICMP' }] }, ['spec.ports[0].protocol']],
    ['bad type', { type: 'Magic', ports: [{ port: 1 }] }, ['spec.type']],
    ['bad selector value', { ports: [{ port: 1 }], selector: { app: 'a b' } }, ['spec.selector[app]']],
  ])('%s', (_n, spec, expected) => {
    expect(fields(validateServiceSpec(spec))).toEqual(expected);
  });
});

describe('endpointslice validation', () => {
  it.each([
    ['ok', { addressType: 'IPv4', endpoints: [{ addresses: ['198.18.0.5'] }] }, []],
    ['no endpoints is fine', { addressType: 'IPv4', endpoints: [] }, []],
    ['missing addressType', { endpoints: [] }, ['addressType']],
    ['unknown addressType', { addressType: 'IPX' }, ['addressType']],
    ['wrong family', { addressType: 'IPv4', endpoints: [{ addresses: ['::1'] }] }, ['endpoints[0].addresses[0]']],
    ['no addresses', { addressType: 'IPv4', endpoints: [{ addresses: [] }] }, ['endpoints[0].addresses']],
  ])('%s', (_n, slice, expected) => {
    expect(fields(validateEndpointSlice(slice))).toEqual(expected);
  });
});

describe('validateEvent (legacyValidateEvent)', () => {
  const ev = (over: Record<string, unknown>) => ({ metadata: { name: 'e', namespace: 'team' }, involvedObject: { kind: 'Pod', namespace: 'team', name: 'p' }, reason: 'R', ...over });
  it.each([
    ['a pod event in its namespace', ev({}), []],
    ['a node event in default', ev({ metadata: { name: 'e', namespace: 'default' }, involvedObject: { kind: 'Node', name: 'n' } }), []],
    ['a node event elsewhere', ev({ involvedObject: { kind: 'Node', name: 'n' } }), ['involvedObject.namespace']],
    ['a pod event in another namespace', ev({ metadata: { name: 'e', namespace: 'other' } }), ['involvedObject.namespace']],
    ['an eventTime event without reporter or action', ev({ eventTime: '2026-01-01T00:00:00.000000Z' }), ['reportingController', 'reportingInstance', 'action']],
    ['an eventTime event with a 2,000-character note', ev({ eventTime: '2026-01-01T00:00:00.000000Z', reportingComponent: 'c', reportingInstance: 'i', action: 'A', message: 'x'.repeat(2000) }), ['message']],
  ])('%s', (_name, event, fields) => {
    expect(validateEvent(event).map((c) => c.field)).toEqual(fields);
  });
});

import type { V1Container, V1EnvVar } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { translatePod } from '../../../src/cci-provider/translate/translate-pod.ts';
import { configMap, container, input, pod, secret, service } from './fixtures.ts';

const lookups = {
  configMaps: [configMap('cfg', { MODE: 'fast', 'bad key': 'x', 'dollar': '$(HOME) $$' }), configMap('more', { LEVEL: '3', '1st': 'no' })],
  secrets: [secret('db', { password: 's3cr$t', USER: 'admin' })],
};

function envOf(c: Partial<V1Container>, extra: Parameters<typeof input>[1] = {}) {
  const r = translatePod(input(pod({ containers: [container({ resources: { limits: { cpu: '1500m', memory: '1Gi' }, requests: { cpu: '500m' } }, ...c })] }), { ...lookups, ...extra }));
  if (!r.ok) throw new Error(`${r.reason}: ${r.message}`);
  return { env: r.pod.spec.containers[0]!.env ?? [], events: r.events };
}

describe('env', () => {
  it.each<[string, V1EnvVar, { name: string; value: string; valueFrom?: unknown } | undefined]>([
    ['a literal value, $(VAR) left for the runtime', { name: 'A', value: 'x $(MODE)' }, { name: 'A', value: 'x $(MODE)' }],
    ['an empty value', { name: 'E' }, { name: 'E', value: '' }],
    ['configMapKeyRef', { name: 'M', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'MODE' } } }, { name: 'M', value: 'fast' }],
    ['configMapKeyRef values keep $ literally (doubled)', { name: 'D', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'dollar' } } }, { name: 'D', value: '$$(HOME) $$$$' }],
    ['optional configMapKeyRef to a missing ConfigMap is left out', { name: 'O', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } }, undefined],
    ['optional configMapKeyRef to a missing key is left out', { name: 'O', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'nope', optional: true } } }, undefined],
    ['secretKeyRef, decoded', { name: 'P', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }, { name: 'P', value: 's3cr$$t' }],
    ['optional secretKeyRef to a missing Secret is left out', { name: 'O', valueFrom: { secretKeyRef: { name: 'nope', key: 'k', optional: true } } }, undefined],
    ['fieldRef metadata.name', { name: 'F', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, { name: 'F', value: 'web' }],
    ['fieldRef metadata.namespace', { name: 'F', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }, { name: 'F', value: 'team' }],
    ['fieldRef metadata.uid', { name: 'F', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } }, { name: 'F', value: 'uid-1' }],
    ['fieldRef a label', { name: 'F', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } }, { name: 'F', value: 'web' }],
    ['fieldRef an absent annotation', { name: 'F', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['x.io/y']" } } }, { name: 'F', value: '' }],
    ['fieldRef spec.nodeName', { name: 'F', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }, { name: 'F', value: 'burst-1' }],
    ['fieldRef spec.serviceAccountName', { name: 'F', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } }, { name: 'F', value: 'default' }],
    ['fieldRef status.podIP is filled by the backend', { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'IP', value: '', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
    ['fieldRef status.hostIP is filled by the backend', { name: 'H', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
      { name: 'H', value: '', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } }],
    ['resourceFieldRef limits.cpu rounds up to cores', { name: 'R', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } }, { name: 'R', value: '2' }],
    ['resourceFieldRef limits.cpu in millicores', { name: 'R', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } }, { name: 'R', value: '1500' }],
    ['resourceFieldRef requests.cpu', { name: 'R', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } }, { name: 'R', value: '500' }],
    ['resourceFieldRef limits.memory in Mi', { name: 'R', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } }, { name: 'R', value: '1024' }],
    ['resourceFieldRef unset requests.memory is 0', { name: 'R', valueFrom: { resourceFieldRef: { resource: 'requests.memory' } } }, { name: 'R', value: '0' }],
    ['resourceFieldRef unset limit = the flavor', { name: 'R', valueFrom: { resourceFieldRef: { resource: 'limits.ephemeral-storage', divisor: '1Gi' } } }, { name: 'R', value: '30' }],
  ])('%s', (_name, entry, want) => {
    const { env } = envOf({ env: [entry] });
    expect(env).toEqual(want ? [want] : []);
  });

  it('an unset limits.memory is the flavor memory, another container by name', () => {
    const r = translatePod(input(pod({ containers: [
      container({ name: 'a', resources: { limits: { cpu: '1', memory: '3Gi' } } }),
      container({ name: 'b', env: [{ name: 'M', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Gi' } } }, { name: 'A', valueFrom: { resourceFieldRef: { containerName: 'a', resource: 'limits.memory', divisor: '1Mi' } } }] }),
    ] })));
    expect(r.ok && r.pod.spec.containers[1]!.env).toEqual([{ name: 'M', value: '4' }, { name: 'A', value: '3072' }]);
  });

  it('keeps definition order with duplicates so in-order expansion matches the kubelet', () => {
    const { env } = envOf({ envFrom: [{ configMapRef: { name: 'more' } }], env: [{ name: 'LEVEL', value: '1' }, { name: 'B', value: '$(LEVEL)' }, { name: 'LEVEL', value: '2' }] });
    expect(env).toEqual([{ name: 'LEVEL', value: '3' }, { name: 'LEVEL', value: '1' }, { name: 'B', value: '$(LEVEL)' }, { name: 'LEVEL', value: '2' }]);
  });

  it('envFrom with prefix; invalid names skipped with the kubelet event', () => {
    const { env, events } = envOf({ envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'C_' }, { secretRef: { name: 'db' } }, { configMapRef: { name: 'more' } }, { secretRef: { name: 'nope', optional: true } }] });
    expect(env).toEqual([
      { name: 'C_MODE', value: 'fast' }, { name: 'C_dollar', value: '$$(HOME) $$$$' },
      { name: 'password', value: 's3cr$$t' }, { name: 'USER', value: 'admin' },
      { name: 'LEVEL', value: '3' },
    ]);
    expect(events).toEqual([
      { type: 'Warning', reason: 'InvalidEnvironmentVariableNames', object: 'pod', message: 'Keys [C_bad key] from the EnvFrom configMap team/cfg were skipped since they are considered invalid environment variable names.' },
      { type: 'Warning', reason: 'InvalidEnvironmentVariableNames', object: 'pod', message: 'Keys [1st] from the EnvFrom configMap team/more were skipped since they are considered invalid environment variable names.' },
    ]);
  });

  it.each([
    ['a missing ConfigMap key', { name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'nope' } } }, "couldn't find key nope in ConfigMap team/cfg"],
    ['a missing Secret key', { name: 'X', valueFrom: { secretKeyRef: { name: 'db', key: 'nope' } } }, "couldn't find key nope in Secret team/db"],
  ])('%s is a retryable CreateContainerConfigError', (_name, entry, message) => {
    const r = translatePod(input(pod({ containers: [container({ env: [entry] })] }), lookups));
    expect(r).toMatchObject({ ok: false, reason: 'CreateContainerConfigError', message, retryable: true });
  });

  it('a permanent refusal wins over a missing ConfigMap', () => {
    const r = translatePod(input(pod({ containers: [container({ envFrom: [{ configMapRef: { name: 'nope' } }], securityContext: { privileged: true } })] })));
    expect(r).toMatchObject({ ok: false, reason: 'PrivilegedNotSupported', retryable: false });
  });
});

describe('service links', () => {
  const services = [
    service('team', 'my-svc', '198.19.0.20', [{ name: 'http', port: 80 }, { name: 'dns-udp', port: 53, protocol: 'UDP' }]),
    service('team', 'headless', 'None'),
    { metadata: { name: 'ext', namespace: 'team' }, spec: { type: 'ExternalName', externalName: 'example.com' } },
    service('other', 'elsewhere', '198.19.0.30'),
    service('default', 'kubernetes', '198.19.0.1', [{ name: 'https', port: 443 }]),
    service('default', 'not-master', '198.19.0.40'),
  ];

  it('links every Service of the namespace with a cluster IP, plus default/kubernetes, Docker-style', () => {
    const { env } = envOf({}, { services });
    expect(env).toEqual([
      { name: 'KUBERNETES_SERVICE_HOST', value: '198.19.0.1' },
      { name: 'KUBERNETES_SERVICE_PORT', value: '443' },
      { name: 'KUBERNETES_SERVICE_PORT_HTTPS', value: '443' },
      { name: 'KUBERNETES_PORT', value: 'tcp://198.19.0.1:443' },
      { name: 'KUBERNETES_PORT_443_TCP', value: 'tcp://198.19.0.1:443' },
      { name: 'KUBERNETES_PORT_443_TCP_PROTO', value: 'tcp' },
      { name: 'KUBERNETES_PORT_443_TCP_PORT', value: '443' },
      { name: 'KUBERNETES_PORT_443_TCP_ADDR', value: '198.19.0.1' },
      { name: 'MY_SVC_SERVICE_HOST', value: '198.19.0.20' },
      { name: 'MY_SVC_SERVICE_PORT', value: '80' },
      { name: 'MY_SVC_SERVICE_PORT_HTTP', value: '80' },
      { name: 'MY_SVC_SERVICE_PORT_DNS_UDP', value: '53' },
      { name: 'MY_SVC_PORT', value: 'tcp://198.19.0.20:80' },
      { name: 'MY_SVC_PORT_80_TCP', value: 'tcp://198.19.0.20:80' },
      { name: 'MY_SVC_PORT_80_TCP_PROTO', value: 'tcp' },
      { name: 'MY_SVC_PORT_80_TCP_PORT', value: '80' },
      { name: 'MY_SVC_PORT_80_TCP_ADDR', value: '198.19.0.20' },
      { name: 'MY_SVC_PORT_53_UDP', value: 'udp://198.19.0.20:53' },
      { name: 'MY_SVC_PORT_53_UDP_PROTO', value: 'udp' },
      { name: 'MY_SVC_PORT_53_UDP_PORT', value: '53' },
      { name: 'MY_SVC_PORT_53_UDP_ADDR', value: '198.19.0.20' },
    ]);
  });

  it('enableServiceLinks: false keeps only the master service', () => {
    const r = translatePod(input(pod({ enableServiceLinks: false }), { services }));
    expect(r.ok && r.pod.spec.containers[0]!.env?.map((e) => e.name).filter((n) => n.endsWith('_SERVICE_HOST'))).toEqual(['KUBERNETES_SERVICE_HOST']);
  });

  it('a same-named Service of the pod namespace wins over default/kubernetes; IPv6 in brackets', () => {
    const r = translatePod(input(pod(), { services: [service('team', 'kubernetes', 'fd00::5', [{ port: 8443 }]), service('default', 'kubernetes', '198.19.0.1')] }));
    expect(r.ok && r.pod.spec.containers[0]!.env?.slice(0, 3)).toEqual([
      { name: 'KUBERNETES_SERVICE_HOST', value: 'fd00::5' }, { name: 'KUBERNETES_SERVICE_PORT', value: '8443' }, { name: 'KUBERNETES_PORT', value: 'tcp://[fd00::5]:8443' },
    ]);
  });

  it('service variables come first so that env entries override them', () => {
    const { env } = envOf({ env: [{ name: 'MY_SVC_SERVICE_HOST', value: 'mine' }] }, { services: services.slice(0, 1) });
    expect(env.at(-1)).toEqual({ name: 'MY_SVC_SERVICE_HOST', value: 'mine' });
    expect(env[0]).toEqual({ name: 'MY_SVC_SERVICE_HOST', value: '198.19.0.20' });
  });
});

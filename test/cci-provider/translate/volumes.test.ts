import type { V1Volume } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { goQuote } from '../../../src/cci-provider/translate/downward.ts';
import { translatePod } from '../../../src/cci-provider/translate/translate-pod.ts';
import { b64, configMap, container, input, pod, secret } from './fixtures.ts';

const lookups = {
  configMaps: [configMap('cfg', { 'app.conf': 'a=1\n', other: 'o' }, { 'logo.png': b64('\x89PNG') }), configMap('kube-root-ca.crt', { 'ca.crt': 'CA PEM' })],
  secrets: [secret('tls', { 'tls.crt': 'CRT', 'tls.key': 'KEY' })],
  token: 'eyJ.token',
};

function volumesOf(volumes: V1Volume[], meta = {}) {
  const r = translatePod(input(pod({ volumes, containers: [container({ resources: { limits: { cpu: '1', memory: '2Gi' } } })] }, meta), lookups));
  if (!r.ok) throw new Error(`${r.reason}: ${r.message}`);
  return r.pod.spec.volumes;
}

describe('volumes', () => {
  it.each<[string, V1Volume, unknown]>([
    ['configMap: every key (data and binaryData), mode 0644 by default', { name: 'v', configMap: { name: 'cfg' } },
      { name: 'v', files: { defaultMode: 0o644, items: [{ path: 'app.conf', data: b64('a=1\n') }, { path: 'other', data: b64('o') }, { path: 'logo.png', data: b64('\x89PNG') }] } }],
    ['configMap: only the items, with their paths and modes', { name: 'v', configMap: { name: 'cfg', defaultMode: 0o400, items: [{ key: 'app.conf', path: 'conf/app.conf', mode: 0o600 }, { key: 'other', path: 'o' }] } },
      { name: 'v', files: { defaultMode: 0o400, items: [{ path: 'conf/app.conf', data: b64('a=1\n'), mode: 0o600 }, { path: 'o', data: b64('o') }] } }],
    ['optional configMap that is missing: an empty volume', { name: 'v', configMap: { name: 'nope', optional: true } }, { name: 'v', files: { defaultMode: 0o644, items: [] } }],
    ['optional configMap: a missing item key is skipped', { name: 'v', configMap: { name: 'cfg', optional: true, items: [{ key: 'nope', path: 'n' }, { key: 'other', path: 'o' }] } },
      { name: 'v', files: { defaultMode: 0o644, items: [{ path: 'o', data: b64('o') }] } }],
    ['secret: decoded and re-encoded as file data', { name: 'v', secret: { secretName: 'tls', items: [{ key: 'tls.key', path: 'key.pem' }] } },
      { name: 'v', files: { defaultMode: 0o644, items: [{ path: 'key.pem', data: b64('KEY') }] } }],
    ['downwardAPI: fields, labels in the kubelet format, resources', { name: 'v', downwardAPI: { items: [
      { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
      { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
      { path: 'app', fieldRef: { fieldPath: "metadata.labels['app']" } },
      { path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' }, mode: 0o444 },
    ] } },
      { name: 'v', files: { defaultMode: 0o644, items: [
        { path: 'name', data: b64('web') },
        { path: 'labels', data: b64('app="web"\ntier="a \\"b\\""') },
        { path: 'app', data: b64('web') },
        { path: 'mem', data: b64('2048'), mode: 0o444 },
      ] } }],
    ['projected kube-api-access: token, CA and namespace', { name: 'kube-api-access-x', projected: { defaultMode: 0o644, sources: [
      { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
      { secret: { name: 'tls', items: [{ key: 'tls.crt', path: 'tls.crt' }] } },
    ] } },
      { name: 'kube-api-access-x', files: { defaultMode: 0o644, items: [
        { path: 'token', data: b64('eyJ.token') }, { path: 'ca.crt', data: b64('CA PEM') }, { path: 'namespace', data: b64('team') }, { path: 'tls.crt', data: b64('CRT') },
      ] } }],
    ['emptyDir', { name: 'v', emptyDir: {} }, { name: 'v', emptyDir: { medium: '' } }],
    ['hostPath /etc/localtime', { name: 'v', hostPath: { path: '/etc/localtime', type: 'File' } }, { name: 'v', hostPath: { path: '/etc/localtime' } }],
  ])('%s', (_name, volume, want) => {
    expect(volumesOf([volume], { labels: { app: 'web', tier: 'a "b"' } })).toEqual([want]);
  });

  it.each<[string, V1Volume, string]>([
    ['configMap item key', { name: 'v', configMap: { name: 'cfg', items: [{ key: 'nope', path: 'n' }] } }, 'configmap references non-existent config key: nope'],
    ['secret item key', { name: 'v', secret: { secretName: 'tls', items: [{ key: 'nope', path: 'n' }] } }, 'references non-existent secret key: nope'],
    ['secret', { name: 'v', secret: { secretName: 'gone' } }, 'secret "gone" not found'],
  ])('a missing non-optional %s waits (retryable)', (_name, volume, message) => {
    const r = translatePod(input(pod({ volumes: [volume] }), lookups));
    expect(r).toMatchObject({ ok: false, reason: 'CreateContainerConfigError', message, retryable: true });
  });

  // Issue #12 item 8: what kube-apiserver refuses is refused here too, so no CCI pod names a path out of its volume.
  it.each<[string, V1Volume]>([
    ['a volume name with dot-segments', { name: '../../victim', emptyDir: {} }],
    ['a setuid defaultMode', { name: 'v', secret: { secretName: 'tls', defaultMode: 0o4755 } }],
    ['a setgid item mode', { name: 'v', configMap: { name: 'cfg', items: [{ key: 'other', path: 'o', mode: 0o2755 }] } }],
    ['an item path that climbs', { name: 'v', configMap: { name: 'cfg', items: [{ key: 'other', path: '../o' }] } }],
    ['an absolute downwardAPI path', { name: 'v', downwardAPI: { items: [{ path: '/etc/x', fieldRef: { fieldPath: 'metadata.name' } }] } }],
    ['a token path that climbs', { name: 'v', projected: { sources: [{ serviceAccountToken: { path: 'a/../../t' } }] } }],
  ])('refuses %s (InvalidVolume)', (_name, volume) => {
    const r = translatePod(input(pod({ volumes: [volume] }), lookups));
    expect(r).toMatchObject({ ok: false, reason: 'InvalidVolume', retryable: false });
  });

  it('refuses a subPath that leaves its volume (InvalidVolume)', () => {
    const r = translatePod(input(pod({ volumes: [{ name: 'v', emptyDir: {} }], containers: [container({ volumeMounts: [{ name: 'v', mountPath: '/m', subPath: '../../etc' }] })] }), lookups));
    expect(r).toMatchObject({ ok: false, reason: 'InvalidVolume', message: expect.stringContaining("must not contain '..'") });
  });

  it('makes the ServiceAccount token 0600 when the pod has an fsGroup, as the kubelet does', () => {
    const token: V1Volume = { name: 't', projected: { defaultMode: 0o644, sources: [{ serviceAccountToken: { path: 'token' } }] } };
    const r = translatePod(input(pod({ volumes: [token], securityContext: { fsGroup: 2000 } }), lookups));
    if (!r.ok) throw new Error(r.message);
    expect(r.pod.spec.volumes![0]!.files!.items).toEqual([{ path: 'token', data: b64('eyJ.token'), mode: 0o600 }]);
  });

  it('a downwardAPI volume cannot use env-only fields', () => {
    const r = translatePod(input(pod({ volumes: [{ name: 'v', downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'spec.nodeName' } }] } }] })));
    expect(r).toMatchObject({ ok: false, reason: 'UnsupportedFieldRef', retryable: false });
  });
});

describe('goQuote (labels/annotations files)', () => {
  it.each([
    ['plain', '"plain"'], ['a "b" \\ c', '"a \\"b\\" \\\\ c"'], ['l1\nl2\t', '"l1\\nl2\\t"'], ['\x01\x7f', '"\\x01\\x7f"'],
    ['héllo 日本', '"héllo 日本"'], ['\u00a0\u2028\u200b', '"\\u00a0\\u2028\\u200b"'], ['\u0085', '"\\u0085"'], ['😀', '"😀"'],
  ])('%j → %s', (input, want) => {
    expect(goQuote(input)).toBe(want);
  });
});

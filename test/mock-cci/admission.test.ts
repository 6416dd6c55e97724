import { describe, expect, it } from 'vitest';
import { podUsage, quotaExceeded, validatePod, ZERO_USAGE } from '../../src/mock-cci/admission.ts';
import { matchesSelector, parseSelector } from '../../src/mock-cci/selector.ts';
import type { CciPod } from '../../src/cci/types.ts';

const pod = (patch: (p: CciPod) => void = () => undefined): CciPod => {
  const p: CciPod = {
    apiVersion: 'cci/v2',
    kind: 'Pod',
    metadata: { name: 'web' },
    spec: {
      restartPolicy: 'Always',
      hostname: 'web',
      dnsConfig: { nameservers: ['198.19.0.10'], searches: [], options: [] },
      volumes: [{ name: 'v', emptyDir: {} }],
      containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '500m', memory: '1Gi' } }, volumeMounts: [{ name: 'v', mountPath: '/data' }] }],
    },
  };
  patch(p);
  return p;
};

describe('validatePod', () => {
  it('accepts a valid pod', () => expect(validatePod(pod())).toEqual([]));
  it('accepts the flavor CCI sizes it to', () => {
    expect(validatePod(pod((p) => (p.metadata.annotations = { 'burstlet.io/flavor-cpu': '500m', 'burstlet.io/flavor-memory': '1Gi' })))).toEqual([]);
  });
  it.each([
    ['bad name', (p: CciPod) => (p.metadata.name = 'Web_1'), /metadata.name: Invalid value/],
    ['no containers', (p: CciPod) => (p.spec.containers = []), /spec.containers: Required value/],
    ['duplicate container', (p: CciPod) => p.spec.containers.push({ ...p.spec.containers[0]! }), /Duplicate value: "c"/],
    ['no image', (p: CciPod) => (p.spec.containers[0]!.image = ''), /image: Required value/],
    ['restart policy', (p: CciPod) => (p.spec.restartPolicy = 'Sometimes' as 'Always'), /Unsupported value: "Sometimes"/],
    ['4 nameservers', (p: CciPod) => (p.spec.dnsConfig.nameservers = ['198.19.0.1', '198.19.0.2', '198.19.0.3', '198.19.0.4']), /more than 3 nameservers/],
    ['bad port', (p: CciPod) => (p.spec.containers[0]!.ports = [{ containerPort: 70000 }]), /containerPort: Invalid value: 70000/],
    ['unknown volume', (p: CciPod) => (p.spec.containers[0]!.volumeMounts = [{ name: 'x', mountPath: '/x' }]), /volumeMounts\[0\].name: Not found: "x"/],
    ['hostPath', (p: CciPod) => (p.spec.volumes = [{ name: 'v', hostPath: { path: '/etc' as '/etc/localtime' } }]), /only \/etc\/localtime/],
    ['larger than any flavor', (p: CciPod) => (p.spec.containers[0]!.resources = { limits: { cpu: '64', memory: '600Gi' } }), /needs 64 CPU \/ 600Gi memory, more than the largest CCI 2.0 flavor/],
    ['a recorded flavor CCI does not have', (p: CciPod) => (p.metadata.annotations = { 'burstlet.io/flavor-cpu': '500m', 'burstlet.io/flavor-memory': '1536Mi' }), /which CCI runs on the 500m CPU \/ 1Gi memory flavor/],
    ['a recorded flavor larger than needed', (p: CciPod) => (p.metadata.annotations = { 'burstlet.io/flavor-cpu': '1', 'burstlet.io/flavor-memory': '2Gi' }), /Invalid value: "1", "2Gi"/],
    // Issue #12 item 8: a volume named ../../../../victim with mode 04755 wrote a setuid file outside the state dir.
    ['a volume name with dot-segments', (p: CciPod) => {
      p.spec.volumes = [{ name: '../../../../victim', emptyDir: {} }];
      p.spec.containers[0]!.volumeMounts = [{ name: '../../../../victim', mountPath: '/data' }];
    }, /spec.volumes\[0\].name: Invalid value: "..\/..\/..\/..\/victim"/],
    ['a setuid default mode', (p: CciPod) => (p.spec.volumes = [{ name: 'v', files: { items: [], defaultMode: 0o4755 } }]), /spec.volumes\[0\].files.defaultMode: Invalid value: 2541: must be a number between 0 and 0777/],
    ['a setgid file mode', (p: CciPod) => (p.spec.volumes = [{ name: 'v', files: { items: [{ path: 'x', data: '', mode: 0o2755 }] } }]), /files.items\[0\].mode: Invalid value: 1517/],
    ['a file path that climbs', (p: CciPod) => (p.spec.volumes = [{ name: 'v', files: { items: [{ path: 'a/../../x', data: '' }] } }]), /files.items\[0\].path: Invalid value: "a\/..\/..\/x": must not contain '..'/],
    ['an absolute file path', (p: CciPod) => (p.spec.volumes = [{ name: 'v', files: { items: [{ path: '/etc/cron.d/x', data: '' }] } }]), /must be a relative path/],
    ['an empty file path', (p: CciPod) => (p.spec.volumes = [{ name: 'v', files: { items: [{ path: '', data: '' }] } }]), /files.items\[0\].path: Required value/],
    ['a subPath that climbs', (p: CciPod) => (p.spec.containers[0]!.volumeMounts = [{ name: 'v', mountPath: '/data', subPath: '../../..' }]), /volumeMounts\[0\].subPath: Invalid value: "..\/..\/..": must not contain '..'/],
    // Issue #12 item 7: a quantity no int64 holds answered 500 (its parse threw in the quota check) rather than 422.
    ['a cpu limit no int64 holds', (p: CciPod) => (p.spec.containers[0]!.resources = { limits: { cpu: '1e999999999' } }), /resources.limits\[cpu\]: Invalid value: "1e999999999": .* is too large/],
    ['a memory request that is not a quantity', (p: CciPod) => (p.spec.containers[0]!.resources = { requests: { memory: '1 GB' } }), /resources.requests\[memory\]: Invalid value: "1 GB"/],
    ['an absolute subPath', (p: CciPod) => (p.spec.containers[0]!.volumeMounts = [{ name: 'v', mountPath: '/data', subPath: '/etc' }]), /subPath: Invalid value: "\/etc": must be a relative path/],
  ])('%s', (_n, patch, message) => expect(validatePod(pod(patch)).join('\n')).toMatch(message));
});

describe('quota', () => {
  const hard = { cpuMilli: 1000n, memoryBytes: 2n * 2n ** 30n, pods: 10n, ephemeralBytes: 0n };
  it('uses the recorded flavor when present, else the computed pod size', () => {
    expect(podUsage(pod())).toMatchObject({ cpuMilli: 500n, memoryBytes: 2n ** 30n, pods: 1n });
    const flavored = pod((p) => (p.metadata.annotations = { 'burstlet.io/flavor-cpu': '1', 'burstlet.io/flavor-memory': '2Gi' }));
    expect(podUsage(flavored)).toMatchObject({ cpuMilli: 1000n, memoryBytes: 2n * 2n ** 30n });
  });
  it('refuses what exceeds, naming the resources', () => {
    const req = podUsage(pod());
    expect(quotaExceeded(hard, ZERO_USAGE, req)).toBeNull();
    expect(quotaExceeded(hard, { ...req }, { ...req, cpuMilli: 600n })).toBe('exceeded quota: cci-quota, requested: cpu=600m, used: cpu=500m, limited: cpu=1');
  });
});

describe('label selectors', () => {
  it.each([
    ['app=web', { app: 'web' }, true],
    ['app==web', { app: 'db' }, false],
    ['app!=web', {}, true],
    ['app', { app: '' }, true],
    ['!app', { app: 'x' }, false],
    ['app=web,tier', { app: 'web' }, false],
    ['', undefined, true],
  ])('%s', (sel, labels, ok) => expect(matchesSelector(parseSelector(sel), labels)).toBe(ok));
  it('rejects set-based syntax it does not support', () => expect(() => parseSelector('app in (a,b)')).toThrow(/not key=value/));
});

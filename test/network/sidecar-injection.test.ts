import { describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { parseFlags, defineSubcommand } from '../../src/flags/flags.ts';
import sidecarCommand from '../../src/cli/sidecar.ts';
import { networkFlags } from '../../src/network/flags.ts';
import { networkingEvents, sidecarContainer, SIDECAR_CREDENTIAL_ENV } from '../../src/network/sidecar-injection.ts';

describe('sidecarContainer', () => {
  const c = sidecarContainer({
    image: 'burstlet/network:0.1.0', proxyMode: 'userspace', directoryService: 'kube-system/burstlet-directory', directoryUrl: 'wss://198.18.0.1:10250/burstlet/v1/service-directory',
    podUid: 'uid-1', credential: 'secret-cred', caPem: '-----BEGIN CERTIFICATE-----\n',
  });

  it('runs `burstlet sidecar` with flags its parser accepts, secrets only in env', () => {
    expect(c.name).toBe('burstlet-network');
    expect(c.command).toEqual(['burstlet', 'sidecar']);
    const flags = parseFlags(sidecarCommand, c.args!);
    expect(flags).toMatchObject({ 'directory-url': 'wss://198.18.0.1:10250/burstlet/v1/service-directory', 'pod-uid': 'uid-1', 'health-port': 15020, 'proxy-mode': 'userspace', 'directory-service': 'kube-system/burstlet-directory' });
    expect(c.args!.join(' ')).not.toContain('secret-cred');
    expect(c.env).toContainEqual({ name: SIDECAR_CREDENTIAL_ENV, value: 'secret-cred' });
  });

  it('is probed for readiness on its health port', () => {
    expect(c.readinessProbe?.httpGet?.port).toBe(15020);
    expect(c.ports?.[0]?.containerPort).toBe(15020);
  });
});

describe('networkingEvents', () => {
  const pod = (spec: Partial<V1Pod['spec']>): V1Pod => ({ spec: { containers: [{ name: 'app' }], ...spec } as V1Pod['spec'] });
  it.each<[string, V1Pod, string[]]>([
    ['a plain pod', pod({}), []],
    ['init containers', pod({ initContainers: [{ name: 'migrate' }] }), ['NetworkUnavailableToInitContainers']],
    ['a postStart hook', pod({ containers: [{ name: 'app', lifecycle: { postStart: { exec: { command: ['true'] } } } }] }), ['PostStartHookBeforeNetwork']],
  ])('%s', (_name, p, reasons) => {
    expect(networkingEvents(p).map((e) => e.reason)).toEqual(reasons);
  });
  it('names the init containers and says network is not available to them', () => {
    expect(networkingEvents(pod({ initContainers: [{ name: 'migrate' }] }))[0]!.message).toMatch(/^network is not available to init containers \(migrate\)/);
  });
});

describe('networkFlags', () => {
  const cmd = defineSubcommand({ name: 'node', summary: '', flags: { ...networkFlags }, run() {} });
  it.each<[string[], object]>([
    [[], {
      'enable-networking': false, 'sidecar-image': 'burstlet/network:0.1.0', 'sidecar-proxy-mode': 'nftables', 'service-directory-address': '', 'service-directory-service': '',
      'service-directory-port': 10270, 'service-directory-tls': false,
    }],
    [
      ['--enable-networking', '--sidecar-image=registry.example/burstlet/network:0.2', '--sidecar-proxy-mode=userspace', '--service-directory-address=198.18.0.1', '--service-directory-service=kube-system/burstlet-directory',
        '--service-directory-port=9999', '--service-directory-tls'],
      {
        'enable-networking': true, 'sidecar-image': 'registry.example/burstlet/network:0.2', 'sidecar-proxy-mode': 'userspace', 'service-directory-address': '198.18.0.1', 'service-directory-service': 'kube-system/burstlet-directory',
        'service-directory-port': 9999, 'service-directory-tls': true,
      },
    ],
  ])('%j', (argv, expected) => {
    expect(parseFlags(cmd, argv)).toEqual(expected);
  });
  it('refuses a service directory address that is not an IP', () => {
    expect(() => parseFlags(cmd, ['--service-directory-address=node.local'])).toThrow(/--service-directory-address: "node.local" is not an IP address/);
  });
  it('refuses a directory Service that is not namespace/name, naming the flag and the form', () => {
    expect(() => parseFlags(cmd, ['--service-directory-service=burstlet-directory'])).toThrow(/--service-directory-service.*namespace\/name/);
  });
  it.each(['0', '65536', 'http'])('refuses --service-directory-port=%s', (port) => {
    expect(() => parseFlags(cmd, [`--service-directory-port=${port}`])).toThrow(/--service-directory-port.*1-65535/);
  });
});

import { describe, expect, it } from 'vitest';
import { cidrsOverlap, ISOLATED_COMMANDS, parseIpAddrs, preflightIsolated, preflightMessage, type MachineFacts } from '../../src/mock-cci/runtime/preflight.ts';

const everything = new Set(ISOLATED_COMMANDS.map((r) => r.command));
const without = (...missing: string[]): Set<string> => new Set([...everything].filter((c) => !missing.includes(c)));
const facts = (over: Partial<MachineFacts> = {}): MachineFacts => ({
  uid: 0,
  commands: everything,
  addresses: [{ dev: 'lo', cidr: '127.0.0.1/8' }, { dev: 'eth0', cidr: '192.0.2.2/24' }],
  ...over,
});
const subnet = [{ cidr: '198.18.0.0/24', ownBridge: 'blbr-aaaaaa' }];

describe('preflightIsolated', () => {
  it.each([
    ['a machine with everything', facts(), [], []],
    ['not root', facts({ uid: 1000 }), ['not running as root'], []],
    ['no nft', facts({ commands: without('nft') }), ['nft is not installed (Debian package nftables): the burstlet-network sidecar'], ['nftables']],
    ['no iproute2 (so no addresses either)', facts({ commands: without('ip'), addresses: undefined }), ['ip is not installed (Debian package iproute2)'], ['iproute2']],
    ['no util-linux: one package for two commands', facts({ commands: without('unshare', 'nsenter') }), ['unshare is not installed (Debian package util-linux)', 'nsenter is not installed (Debian package util-linux)'], ['util-linux']],
    ['the subnet on another interface', facts({ addresses: [{ dev: 'eth1', cidr: '198.18.0.5/16' }] }), ['the pod subnet 198.18.0.0/24 is in use: eth1 holds 198.18.0.5/16'], []],
    ['another burstlet on the subnet', facts({ addresses: [{ dev: 'blbr-bbbbbb', cidr: '198.18.0.1/24' }] }), ['is in use: blbr-bbbbbb holds 198.18.0.1/24 (another burstlet local or mock-cci uses it, or one that was killed left it behind: stop that one, or remove the leftover with `ip link del blbr-bbbbbb`)'], []],
    ['its own leftover bridge (cleaned at start)', facts({ addresses: [{ dev: 'blbr-aaaaaa', cidr: '198.18.0.1/24' }] }), [], []],
    ['an address next door', facts({ addresses: [{ dev: 'eth1', cidr: '198.18.1.1/24' }] }), [], []],
  ])('%s', (_name, machine, problems, packages) => {
    const r = preflightIsolated(machine, subnet);
    expect(r.ok).toBe(problems.length === 0);
    expect(r.problems).toHaveLength(problems.length);
    problems.forEach((p, i) => expect(r.problems[i]).toContain(p));
    expect(r.packages).toEqual(packages);
  });

  it('says what is missing, what to install and the way without root', () => {
    const r = preflightIsolated(facts({ uid: 1000, commands: without('nft', 'ip') }), []);
    expect(preflightMessage('burstlet local', r, 'Or run without root and without per-pod networks: burstlet local --nodes --runtime=process')).toBe([
      'burstlet local: the isolated runtime (--runtime=isolated, the default as root) cannot run on this machine:',
      '  - not running as root: the isolated runtime creates network namespaces, a bridge and mounts, which need root',
      '  - ip is not installed (Debian package iproute2): creates the bridge and each pod\'s network namespace and veth',
      '  - nft is not installed (Debian package nftables): the burstlet-network sidecar installs the Service DNAT rules with it',
      'Install what is missing (as root): apt-get install iproute2 nftables',
      'Or run without root and without per-pod networks: burstlet local --nodes --runtime=process',
    ].join('\n'));
  });
});

describe('cidrsOverlap', () => {
  it.each([
    ['198.18.0.0/24', '198.18.0.7/32', true],
    ['198.18.0.0/24', '198.18.0.0/15', true],
    ['198.18.0.0/24', '198.18.1.0/24', false],
    ['10.0.0.0/8', '198.18.0.0/24', false],
    ['0.0.0.0/0', '198.18.0.0/24', true],
  ])('%s and %s: %s', (a, b, overlap) => {
    expect(cidrsOverlap(a, b)).toBe(overlap);
    expect(cidrsOverlap(b, a)).toBe(overlap);
  });
});

it('parseIpAddrs reads `ip -o -4 addr show`', () => {
  const text = '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n' +
    '7: blbr-1a2b3c    inet 198.18.0.1/24 scope global blbr-1a2b3c\\       valid_lft forever preferred_lft forever\n';
  expect(parseIpAddrs(text)).toEqual([{ dev: 'lo', cidr: '127.0.0.1/8' }, { dev: 'blbr-1a2b3c', cidr: '198.18.0.1/24' }]);
});

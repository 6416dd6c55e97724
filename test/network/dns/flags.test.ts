import { describe, expect, it } from 'vitest';
import { defineSubcommand, parseFlags, UsageError } from '../../../src/flags/flags.ts';
import { dnsFlags } from '../../../src/network/dns/flags.ts';

const command = defineSubcommand({ name: 'node', summary: 'test', flags: { ...dnsFlags }, run() {} });

describe('DNS flags', () => {
  it('defaults', () => {
    expect(parseFlags(command, [])).toEqual({
      'cluster-dns': [], 'cluster-domain': 'cluster.local', 'resolv-conf': '', 'dns-nameserver-overflow': 'truncate',
    });
  });

  it.each([
    [['--cluster-dns=198.19.0.10'], { 'cluster-dns': ['198.19.0.10'] }],
    [['--cluster-dns=198.19.0.10,198.19.0.11', '--cluster-dns', 'fd00::10'], { 'cluster-dns': ['198.19.0.10', '198.19.0.11', 'fd00::10'] }],
    [['--cluster-domain=corp.example'], { 'cluster-domain': 'corp.example' }],
    [['--resolv-conf=/etc/burstlet/resolv.conf'], { 'resolv-conf': '/etc/burstlet/resolv.conf' }],
    [['--dns-nameserver-overflow=reject'], { 'dns-nameserver-overflow': 'reject' }],
  ])('%j', (argv, expected) => {
    expect(parseFlags(command, argv)).toMatchObject(expected);
  });

  it.each([
    [['--cluster-dns=198.19.0.300'], /--cluster-dns: "198\.19\.0\.300" is not an IP address; expected at most 3 comma-separated IP addresses/],
    [['--cluster-dns=198.19.0.1,198.19.0.2,198.19.0.3,198.19.0.4'], /--cluster-dns: at most 3 values, got 4/],
    [['--cluster-dns=198.19.0.1,198.19.0.2', '--cluster-dns=198.19.0.3,198.19.0.4'], /invalid --cluster-dns: at most 3 values, got 4/],
    [['--cluster-domain=Cluster.Local'], /--cluster-domain: label "Cluster" is not a lowercase DNS label; expected a DNS domain such as cluster.local/],
    [['--cluster-domain=a..b'], /--cluster-domain: label ""/],
    [['--cluster-domain=-x.local'], /--cluster-domain/],
    [[`--cluster-domain=${'a'.repeat(64)}.local`], /--cluster-domain/],
    [['--dns-nameserver-overflow=drop'], /--dns-nameserver-overflow.*expected one of truncate, reject/],
  ])('%j exits 2 naming the flag', (argv, message) => {
    expect(() => parseFlags(command, argv)).toThrow(UsageError);
    expect(() => parseFlags(command, argv)).toThrow(message);
  });
});

import { describe, expect, it } from 'vitest';
import { conntrackDeleteArgs, staleUdpFlows } from '../../src/sidecar/conntrack.ts';
import { servicesUpdate } from '../../src/sidecar/nft-services.ts';
import { entryKey, type Backend, type ForwardingEntry } from '../../src/sidecar/rules.ts';

function entry(clusterIP: string, port: number, protocol: 'TCP' | 'UDP', backends: Backend[], affinitySeconds: number | null = null): [string, ForwardingEntry] {
  return [entryKey(clusterIP, port, protocol), { clusterIP, port, protocol, servicePort: 'default/x:p', affinitySeconds, backends }];
}
const table = (...entries: [string, ForwardingEntry][]): Map<string, ForwardingEntry> => new Map(entries);
const lines = (script: string): string[] => script.trimEnd().split('\n');
const chainOf = (script: string, element: RegExp): string => lines(script).find((l) => element.test(l))!.match(/goto (\S+) \}/)![1]!;

describe('servicesUpdate: the nft transaction of a forwarding table', () => {
  const web = entry('10.96.0.10', 80, 'TCP', [{ address: '198.18.0.11', port: 8080 }, { address: '198.18.0.12', port: 8080 }]);

  it('maps ClusterIP . tcp . port to a chain picking one endpoint chain at random, each DNATing to its endpoint', () => {
    const { script } = servicesUpdate(table(web), null, 'burstlet');
    const svc = chainOf(script, /service-chains \{ 10\.96\.0\.10 \. tcp \. 80 : goto/);
    const pick = lines(script).find((l) => l.startsWith(`add rule ip burstlet ${svc} numgen random mod 2 vmap`))!;
    const eps = [...pick.matchAll(/goto (ep-\w+)/g)].map((m) => m[1]!);
    expect(eps).toHaveLength(2);
    expect(script).toContain(`add rule ip burstlet ${eps[0]} meta l4proto tcp dnat to 198.18.0.11:8080\n`);
    expect(script).toContain(`add rule ip burstlet ${eps[1]} meta l4proto tcp dnat to 198.18.0.12:8080\n`);
    expect(script).toContain('add element ip burstlet service-ports { 10.96.0.10 . tcp . 80 }');
    expect(script).toContain('add element ip burstlet cluster-ips { 10.96.0.10 }');
    expect(script).toContain('add chain ip burstlet services { type nat hook output priority -100 ; policy accept ; }');
    expect(script).not.toContain('@aff-');
  });

  it('replaces the whole table the first time (whatever a killed sidecar left), then updates in place', () => {
    const first = servicesUpdate(table(web), null, 'burstlet');
    expect(lines(first.script).slice(0, 3)).toEqual(['add table ip burstlet', 'delete table ip burstlet', 'add table ip burstlet']);
    const next = servicesUpdate(table(web), first.objects, 'burstlet');
    expect(next.script).not.toContain('delete table');
    expect(next.script).not.toContain('delete chain');
    expect(next.objects).toEqual(first.objects);
  });

  it('rejects new connections to a ClusterIP port with no endpoint, and to ports that are no Service port, before NAT', () => {
    const empty = entry('10.96.0.20', 53, 'UDP', []);
    const { script } = servicesUpdate(table(web, empty), null, 'burstlet');
    expect(script).toContain('add element ip burstlet cluster-ips { 10.96.0.10 , 10.96.0.20 }');
    expect(script).not.toMatch(/10\.96\.0\.20 \. udp \. 53/);
    expect(script).toContain('add chain ip burstlet filter-output { type filter hook output priority -110 ; policy accept ; }');
    expect(lines(script).filter((l) => l.startsWith('add rule ip burstlet filter-output'))).toEqual([
      'add rule ip burstlet filter-output ct state new ip daddr . meta l4proto . th dport @service-ports accept',
      'add rule ip burstlet filter-output ct state new ip daddr @cluster-ips reject',
    ]);
  });

  it('ClientIP affinity: a dynamic set per endpoint with the timeout, checked before the pick and refreshed by each connection', () => {
    const sticky = entry('10.96.0.30', 80, 'TCP', [{ address: '198.18.0.11', port: 80 }], 10800);
    const { script } = servicesUpdate(table(sticky), null, 'burstlet');
    const svc = chainOf(script, /service-chains \{ 10\.96\.0\.30/);
    const aff = /add set ip burstlet (aff-\w+) \{ type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; \}/.exec(script)![1]!;
    const ep = aff.replace('aff-', 'ep-');
    const svcRules = lines(script).filter((l) => l.startsWith(`add rule ip burstlet ${svc} `));
    expect(svcRules).toEqual([`add rule ip burstlet ${svc} ip saddr @${aff} goto ${ep}`, `add rule ip burstlet ${svc} numgen random mod 1 vmap { 0 : goto ${ep} }`]);
    expect(lines(script).filter((l) => l.startsWith(`add rule ip burstlet ${ep} `))).toEqual([
      `add rule ip burstlet ${ep} update @${aff} { ip saddr }`,
      `add rule ip burstlet ${ep} meta l4proto tcp dnat to 198.18.0.11:80`,
    ]);
  });

  it('keeps the affinity sets of endpoints that stay (their clients stay pinned) and deletes those of endpoints that left', () => {
    const two = entry('10.96.0.30', 80, 'TCP', [{ address: '198.18.0.11', port: 80 }, { address: '198.18.0.12', port: 80 }], 60);
    const one = entry('10.96.0.30', 80, 'TCP', [{ address: '198.18.0.12', port: 80 }], 60);
    const first = servicesUpdate(table(two), null, 'burstlet');
    const next = servicesUpdate(table(one), first.objects, 'burstlet');
    const [kept] = [...next.objects.sets];
    const [gone] = [...first.objects.sets].filter((s) => s !== kept);
    expect(first.objects.sets.size).toBe(2);
    expect(next.script).not.toContain(`delete set ${kept}`);
    expect(next.script).toContain(`delete set ${gone}\n`);
    expect(next.script).not.toMatch(/flush set \S+ \S+ aff-/);
    // The endpoint's chain is flushed before it is deleted, and after everything that jumped to it.
    const goneChain = `ip burstlet ${gone!.split(' ')[2]!.replace('aff-', 'ep-')}`;
    const l = lines(next.script);
    expect(l.indexOf(`flush chain ${goneChain}`)).toBeLessThan(l.indexOf(`delete chain ${goneChain}`));
    expect(l.indexOf('flush map ip burstlet service-chains')).toBeLessThan(l.indexOf(`delete chain ${goneChain}`));
    // A changed timeout is a new set: nft cannot change a set's timeout in place.
    const longer = servicesUpdate(table(entry('10.96.0.30', 80, 'TCP', [{ address: '198.18.0.12', port: 80 }], 120)), next.objects, 'burstlet');
    expect(longer.script).toContain(`delete set ${kept}\n`);
  });

  it('puts IPv6 Services in the ip6 table with bracketed DNAT targets', () => {
    const v6 = entry('fd00::10', 53, 'UDP', [{ address: 'fd00:1::5', port: 5353 }]);
    const { script } = servicesUpdate(table(v6, web), null, 'burstlet');
    expect(script).toContain('add map ip6 burstlet service-chains { type ipv6_addr . inet_proto . inet_service : verdict ; }');
    expect(script).toContain('add element ip6 burstlet service-chains { fd00::10 . udp . 53 : goto');
    expect(script).toMatch(/add rule ip6 burstlet ep-\w+ meta l4proto udp dnat to \[fd00:1::5\]:5353\n/);
    expect(script).not.toMatch(/ip burstlet .*fd00/);
  });
});

describe('UDP conntrack entries to delete', () => {
  const dns = (backends: Backend[]): [string, ForwardingEntry] => entry('10.96.0.10', 53, 'UDP', backends);
  const a = { address: '198.18.0.11', port: 53 };
  const b = { address: '198.18.0.12', port: 53 };

  it.each([
    ['an endpoint left', table(dns([a, b])), table(dns([b])), [{ clusterIP: '10.96.0.10', port: 53, backend: a }]],
    ['the Service port went', table(dns([a])), table(), [{ clusterIP: '10.96.0.10', port: 53 }]],
    ['an endpoint joined', table(dns([a])), table(dns([a, b])), []],
    ['TCP is left to its connections', table(entry('10.96.0.10', 80, 'TCP', [a])), table(), []],
  ])('%s', (_what, before, after, expected) => {
    expect(staleUdpFlows(before, after)).toEqual(expected);
  });

  it('selects entries by original destination and, for one endpoint, by the reply source the DNAT gave them', () => {
    expect(conntrackDeleteArgs({ clusterIP: '10.96.0.10', port: 53, backend: a })).toEqual(
      ['-D', '-f', 'ipv4', '-p', 'udp', '--orig-dst', '10.96.0.10', '--orig-port-dst', '53', '--reply-src', '198.18.0.11', '--reply-port-src', '53']);
    expect(conntrackDeleteArgs({ clusterIP: 'fd00::10', port: 53 })).toEqual(['-D', '-f', 'ipv6', '-p', 'udp', '--orig-dst', 'fd00::10', '--orig-port-dst', '53']);
  });
});

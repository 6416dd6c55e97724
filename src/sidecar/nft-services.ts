// kube-proxy's nftables mode for one pod, as a pure function: the forwarding table becomes
// an nft transaction that DNATs the pod's own connections to ClusterIP:port straight to an
// endpoint in the kernel (no userspace hop: throughput and latency are the direct path's).
//  - a verdict map from ClusterIP . protocol . port to one chain per Service port, which picks
//    an endpoint chain at random (numgen), each endpoint chain DNATs to its endpoint;
//  - ClientIP affinity as kube-proxy does it: a dynamic set per endpoint, refreshed by every new
//    connection through it, checked before the random pick (its name carries the timeout);
//  - new connections to a ClusterIP on a port with no ready endpoint, or on a port that is not
//    a Service's, are rejected at once (the client sees ECONNREFUSED), before NAT.
// The chains run on the output hook only: traffic the pod itself sends. Updates after the first
// flush and refill the maps and chains in place (so affinity sets keep their clients) and
// delete what the previous update had and this one has not; the first also replaces whatever
// a previous sidecar left.
import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { Backend, ForwardingEntry } from './rules.ts';

/** Chains and sets one update created, so the next can delete those it no longer has. */
export interface NftObjects {
  chains: ReadonlySet<string>;
  sets: ReadonlySet<string>;
}

export interface NftUpdate {
  script: string;
  objects: NftObjects;
}

const FAMILIES = [
  { family: 'ip', addr: 'ipv4_addr', v6: false },
  { family: 'ip6', addr: 'ipv6_addr', v6: true },
] as const;

const id = (...parts: (string | number)[]): string => createHash('sha256').update(parts.join('|')).digest('hex').slice(0, 16);

const protoName = (e: ForwardingEntry): string => e.protocol.toLowerCase();

function endpointName(key: string, b: Backend, affinitySeconds: number | null): string {
  return id(key, b.address, b.port, affinitySeconds ?? '');
}

function hostPort(address: string, port: number): string {
  return isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * The transaction making `table` the ruleset in force. `previous` is what the last successful
 * update created (null at start: the tables are replaced whole).
 */
export function servicesUpdate(table: ReadonlyMap<string, ForwardingEntry>, previous: NftObjects | null, tableName: string): NftUpdate {
  const head: string[] = [];
  const flush: string[] = [];
  const remove: string[] = [];
  const fill: string[] = [];
  const chains = new Set<string>();
  const sets = new Set<string>();
  for (const { family, addr, v6 } of FAMILIES) {
    const t = `${family} ${tableName}`;
    const entries = [...table].filter(([, e]) => isIPv6(e.clusterIP) === v6).sort(([a], [b]) => (a < b ? -1 : 1));
    head.push(`add table ${t}`);
    if (previous === null) head.push(`delete table ${t}`, `add table ${t}`);
    const tuple = `${addr} . inet_proto . inet_service`;
    head.push(
      `add chain ${t} services { type nat hook output priority -100 ; policy accept ; }`,
      `add chain ${t} filter-output { type filter hook output priority -110 ; policy accept ; }`,
      `add map ${t} service-chains { type ${tuple} : verdict ; }`,
      `add set ${t} service-ports { type ${tuple} ; }`,
      `add set ${t} cluster-ips { type ${addr} ; }`,
    );
    flush.push(
      `flush chain ${t} services`, `flush chain ${t} filter-output`,
      `flush map ${t} service-chains`, `flush set ${t} service-ports`, `flush set ${t} cluster-ips`,
    );
    fill.push(
      `add rule ${t} services ${family} daddr . meta l4proto . th dport vmap @service-chains`,
      `add rule ${t} filter-output ct state new ${family} daddr . meta l4proto . th dport @service-ports accept`,
      `add rule ${t} filter-output ct state new ${family} daddr @cluster-ips reject`,
    );
    const clusterIPs = new Set<string>();
    for (const [key, e] of entries) {
      clusterIPs.add(e.clusterIP);
      if (e.backends.length === 0) continue; // rejected by filter-output
      const tupleOf = `${e.clusterIP} . ${protoName(e)} . ${e.port}`;
      const svc = `svc-${id(key)}`;
      declare(t, svc);
      fill.push(`add element ${t} service-chains { ${tupleOf} : goto ${svc} }`, `add element ${t} service-ports { ${tupleOf} }`);
      const picks: string[] = [];
      e.backends.forEach((b, i) => {
        const name = endpointName(key, b, e.affinitySeconds);
        const ep = `ep-${name}`;
        declare(t, ep);
        picks.push(`${i} : goto ${ep}`);
        if (e.affinitySeconds !== null) {
          const aff = `aff-${name}`;
          sets.add(`${t} ${aff}`);
          head.push(`add set ${t} ${aff} { type ${addr} ; flags dynamic,timeout ; timeout ${e.affinitySeconds}s ; }`);
          fill.push(`add rule ${t} ${svc} ${family} saddr @${aff} goto ${ep}`, `add rule ${t} ${ep} update @${aff} { ${family} saddr }`);
        }
        fill.push(`add rule ${t} ${ep} meta l4proto ${protoName(e)} dnat to ${hostPort(b.address, b.port)}`);
      });
      fill.push(`add rule ${t} ${svc} numgen random mod ${picks.length} vmap { ${picks.join(' , ')} }`);
    }
    if (clusterIPs.size > 0) fill.push(`add element ${t} cluster-ips { ${[...clusterIPs].join(' , ')} }`);
  }
  // Stale chains are flushed before any is deleted: a chain cannot go while a rule jumps to it.
  for (const c of previous?.chains ?? []) {
    if (chains.has(c)) continue;
    const [family, tableOf, name] = c.split(' ');
    flush.push(`flush chain ${family} ${tableOf} ${name}`);
    remove.push(`delete chain ${family} ${tableOf} ${name}`);
  }
  for (const s of previous?.sets ?? []) if (!sets.has(s)) remove.push(`delete set ${s}`);
  return { script: [...head, ...flush, ...remove, ...fill].join('\n') + '\n', objects: { chains, sets } };

  function declare(t: string, chain: string): void {
    chains.add(`${t} ${chain}`);
    head.push(`add chain ${t} ${chain}`);
    flush.push(`flush chain ${t} ${chain}`);
  }
}

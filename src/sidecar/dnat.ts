// How traffic to ClusterIP:port reaches the sidecar without the sidecar listening on that
// port (the app in the same pod may well listen on 0.0.0.0:<port> itself): each listener binds
// ClusterIP:<a port of its own> (preferredListenerPort, else the kernel's pick), and nftables
// DNATs locally generated traffic for ClusterIP:port to it, as kube-proxy does. Conntrack
// un-NATs the replies, so a UDP reply from ClusterIP:<own> reaches the client as from
// ClusterIP:port. The whole ruleset is
// replaced atomically by one `nft -f -` transaction; an empty ruleset removes the tables.
import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { DirProtocol } from '../network/service-directory/protocol.ts';
import { nft, NFT_TABLE } from './nft.ts';

export interface DnatRule {
  clusterIP: string;
  /** The Service port clients connect to. */
  port: number;
  protocol: DirProtocol;
  /** The port the sidecar's listener is bound to on the ClusterIP. */
  localPort: number;
}

export interface ServiceNat {
  /** Makes exactly these rules the ones in force (an empty list removes them all). */
  apply(rules: DnatRule[]): Promise<void>;
}

const EPHEMERAL_LOW = 32768;
const EPHEMERAL_SIZE = 60999 - EPHEMERAL_LOW + 1;

/**
 * The port a ClusterIP:port's listener tries first (the kernel picks one if it is taken): the
 * same for the same entry, across updates and sidecar restarts, so conntrack's existing UDP
 * NAT bindings (a resolver's long-lived socket) still lead to a listener after a restart
 * or a Service re-created — there is no conntrack tool in the pod to flush them, as
 * kube-proxy does. In Linux's ephemeral range, where apps do not usually listen.
 */
export function preferredListenerPort(entryKey: string): number {
  return EPHEMERAL_LOW + (createHash('sha256').update(entryKey).digest().readUInt32BE(0) % EPHEMERAL_SIZE);
}

/**
 * The nft script replacing both tables in one transaction: `add` then `delete` makes the
 * delete succeed whether or not the table existed, then the table is declared afresh with a
 * nat chain on the output hook (locally generated traffic) at dstnat priority.
 */
export function nftScript(rules: DnatRule[], table = NFT_TABLE): string {
  const lines: string[] = [];
  for (const family of ['ip', 'ip6'] as const) {
    lines.push(`add table ${family} ${table}`, `delete table ${family} ${table}`);
    const own = rules.filter((r) => isIPv6(r.clusterIP) === (family === 'ip6'));
    if (own.length === 0) continue;
    lines.push(
      `table ${family} ${table} {`,
      '  chain services {',
      '    type nat hook output priority -100; policy accept;',
      ...own.map((r) => {
        const to = family === 'ip6' ? `[${r.clusterIP}]:${r.localPort}` : `${r.clusterIP}:${r.localPort}`;
        return `    ${family} daddr ${r.clusterIP} ${r.protocol.toLowerCase()} dport ${r.port} dnat to ${to}`;
      }),
      '  }',
      '}',
    );
  }
  return lines.join('\n') + '\n';
}

/** nftables in the current network namespace; a ruleset identical to the last one applied is not re-sent. */
export function nftablesDnat(table = NFT_TABLE): ServiceNat {
  let applied: string | null = null;
  return {
    async apply(rules) {
      const script = nftScript(rules, table);
      if (script === applied) return;
      applied = null; // Unknown until nft succeeds: a failed apply is retried in full.
      await nft(script);
      applied = script;
    },
  };
}

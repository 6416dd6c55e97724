// UDP has no connection to break: conntrack keeps DNATing a client socket's datagrams to the
// endpoint its first one went to, even after that endpoint left the Service (a resolver's
// long-lived socket would talk to a dead DNS pod for as long as it keeps sending). So, as
// kube-proxy does, the conntrack entries of endpoints that left, and of Service ports that went,
// are deleted; the next datagram goes through the rules again.
import { execFile } from 'node:child_process';
import { isIPv6 } from 'node:net';
import type { ForwardingEntry } from './rules.ts';

/** conntrack entries to delete: those of UDP to clusterIP:port, DNATed to `backend` if given. */
export interface StaleUdpFlows {
  clusterIP: string;
  port: number;
  backend?: { address: string; port: number };
}

/** What changed from `before` to `after` that leaves UDP conntrack entries pointing nowhere. */
export function staleUdpFlows(before: ReadonlyMap<string, ForwardingEntry>, after: ReadonlyMap<string, ForwardingEntry>): StaleUdpFlows[] {
  const stale: StaleUdpFlows[] = [];
  for (const [key, was] of before) {
    if (was.protocol !== 'UDP') continue;
    const now = after.get(key);
    if (!now) {
      stale.push({ clusterIP: was.clusterIP, port: was.port });
      continue;
    }
    const kept = new Set(now.backends.map((b) => `${b.address}|${b.port}`));
    for (const b of was.backends) {
      if (!kept.has(`${b.address}|${b.port}`)) stale.push({ clusterIP: was.clusterIP, port: was.port, backend: b });
    }
  }
  return stale;
}

/** The `conntrack` arguments deleting one set of entries. */
export function conntrackDeleteArgs(f: StaleUdpFlows): string[] {
  const args = ['-D', '-f', isIPv6(f.clusterIP) ? 'ipv6' : 'ipv4', '-p', 'udp', '--orig-dst', f.clusterIP, '--orig-port-dst', String(f.port)];
  if (f.backend) args.push('--reply-src', f.backend.address, '--reply-port-src', String(f.backend.port));
  return args;
}

export type ConntrackDelete = (f: StaleUdpFlows) => Promise<void>;

/** Runs `conntrack -D`; none matching is not an error (conntrack exits 1 for it). */
export const conntrackDelete: ConntrackDelete = (f) =>
  new Promise((resolve, reject) => {
    execFile('conntrack', conntrackDeleteArgs(f), (err, _stdout, stderr) => {
      if (!err || /0 flow entries have been deleted/.test(stderr)) return resolve();
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      const why = missing ? 'conntrack is not installed (Debian package conntrack)' : stderr.trim() || err.message;
      reject(new Error(`${why} (the sidecar deletes UDP flows to endpoints that left; it needs CAP_NET_ADMIN in the pod's network namespace)`, { cause: err }));
    });
  });

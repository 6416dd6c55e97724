// ClusterIPs made local inside the pod's network namespace: each one is added as a host
// address (/32 or /128) on `lo`, so the sidecar can listen on ClusterIP:<its own port> (the
// Service port is DNATed there, see dnat.ts) and the app's connections never leave the
// namespace. This needs CAP_NET_ADMIN in the pod's namespace (the sidecar runs as root in
// the mock CCI). Addresses already local — loopback, as in tests — are left alone. Changes
// go to `ip` in one batch, however many Services.
import { execFile } from 'node:child_process';
import { isIPv6 } from 'node:net';
import { promisify } from 'node:util';
import { errorMessage } from '../log/error-message.ts';

const run = promisify(execFile);

export interface AddressManager {
  add(ips: string[]): Promise<void>;
  remove(ips: string[]): Promise<void>;
}

function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}

function prefixed(ip: string): string {
  return isIPv6(ip) ? `${ip}/128` : `${ip}/32`;
}

/** `ip -force -batch` of `addr add|del <ip>/32 dev lo`, tolerant of addresses already there (or gone). */
export function loopbackAddresses(device = 'lo'): AddressManager {
  const batch = async (verb: 'add' | 'del', ips: string[], tolerate: RegExp): Promise<void> => {
    const lines = ips.filter((ip) => !isLoopback(ip)).map((ip) => `addr ${verb} ${prefixed(ip)} dev ${device}`);
    if (lines.length === 0) return;
    const child = run('ip', ['-force', '-batch', '-']);
    child.child.stdin?.end(lines.join('\n') + '\n');
    try {
      await child;
    } catch (err) {
      const stderr = String((err as { stderr?: unknown }).stderr ?? '');
      const real = stderr.split('\n').filter((l) => l.trim() !== '' && !/^Command failed/.test(l) && !tolerate.test(l));
      if (real.length > 0 || stderr.trim() === '') {
        throw new Error(
          `ip addr ${verb} on ${device} failed: ${real.join('; ') || errorMessage(err)} (the sidecar needs CAP_NET_ADMIN in the pod's network namespace)`,
          { cause: err },
        );
      }
    }
  };
  return {
    add: (ips) => batch('add', ips, /File exists|already assigned/),
    remove: (ips) => batch('del', ips, /Cannot assign requested address|not found/i),
  };
}

// ClusterIPs made local inside the pod's network namespace: each one is added as a host
// address (/32 or /128) on `lo`, so the sidecar can listen on ClusterIP:port and the app's
// connections to it never leave the namespace. This needs CAP_NET_ADMIN in the pod's
// namespace (the sidecar runs as root in the mock CCI). Addresses already local — loopback,
// as in tests — are left alone.
import { execFile } from 'node:child_process';
import { isIPv6 } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface AddressManager {
  add(ip: string): Promise<void>;
  remove(ip: string): Promise<void>;
}

function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}

function prefixed(ip: string): string {
  return isIPv6(ip) ? `${ip}/128` : `${ip}/32`;
}

/** `ip addr add|del <ip>/32 dev lo`, tolerant of the address already being there (or gone). */
export function loopbackAddresses(device = 'lo'): AddressManager {
  const ip = async (args: string[], tolerate: RegExp): Promise<void> => {
    try {
      await run('ip', args);
    } catch (err) {
      const stderr = String((err as { stderr?: unknown }).stderr ?? '');
      if (!tolerate.test(stderr)) {
        throw new Error(`ip ${args.join(' ')} failed: ${stderr.trim() || (err as Error).message} (the sidecar needs CAP_NET_ADMIN in the pod's network namespace)`, { cause: err });
      }
    }
  };
  return {
    add: async (addr) => {
      if (!isLoopback(addr)) await ip(['addr', 'add', prefixed(addr), 'dev', device], /File exists|already assigned/);
    },
    remove: async (addr) => {
      if (!isLoopback(addr)) await ip(['addr', 'del', prefixed(addr), 'dev', device], /Cannot assign requested address|not found/i);
    },
  };
}

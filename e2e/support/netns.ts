// Network namespaces for e2e tests and benchmarks: one bridge in the host namespace holding
// the gateway of a random 198.18.x.0/24, and namespaces joined to it by veth pairs. Nothing is
// routed beyond the bridge. Everything is deleted by destroy(), and on process exit as a
// last resort, so a failed test leaves no links or namespaces behind.
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface Netns {
  name: string;
  /** The namespace's addresses on its eth0 (the first is the primary). */
  ips: string[];
  /** Starts a process inside the namespace. */
  spawn(argv: string[], opts?: SpawnOptions): ChildProcess;
}

export interface TestNetwork {
  /** e.g. "198.18.137" */
  prefix: string;
  gateway: string;
  addNamespace(hosts: number[]): Netns;
  destroy(): void;
}

function ip(args: string[], input?: string): void {
  execFileSync('ip', args, { stdio: ['pipe', 'ignore', 'pipe'], ...(input !== undefined ? { input } : {}) });
}

function quiet(fn: () => void): void {
  try {
    fn();
  } catch {
    // Already gone.
  }
}

/** A fresh bridge on a random 198.18.<100-249>.0/24 (the local environment's own ranges are avoided). */
export function createTestNetwork(): TestNetwork {
  const tag = randomBytes(3).toString('hex');
  const third = 100 + (randomBytes(1)[0]! % 150);
  const prefix = `198.18.${third}`;
  const gateway = `${prefix}.1`;
  const bridge = `blbr${tag}`;
  const namespaces: string[] = [];
  const veths: string[] = [];
  let destroyed = false;

  const destroy = (): void => {
    if (destroyed) return;
    destroyed = true;
    process.off('exit', destroy);
    // Deleting our end of each veth removes both ends, even if the kernel keeps a namespace
    // alive for a while after its last process (sockets still draining).
    for (const veth of veths) quiet(() => ip(['link', 'del', veth]));
    for (const ns of namespaces) quiet(() => ip(['netns', 'del', ns]));
    quiet(() => ip(['link', 'del', bridge]));
  };
  process.on('exit', destroy);

  ip(['link', 'add', bridge, 'type', 'bridge']);
  try {
    ip(['addr', 'add', `${gateway}/24`, 'dev', bridge]);
    ip(['link', 'set', bridge, 'up']);
  } catch (err) {
    destroy();
    throw err;
  }

  return {
    prefix,
    gateway,
    destroy,
    addNamespace(hosts) {
      const n = namespaces.length;
      const name = `bl-${tag}-${n}`;
      const veth = `bl${tag}v${n}`;
      const ips = hosts.map((h) => `${prefix}.${h}`);
      ip(['netns', 'add', name]);
      namespaces.push(name);
      ip(['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name]);
      veths.push(veth);
      ip(['link', 'set', veth, 'master', bridge, 'up']);
      const batch = ['link set lo up', ...ips.map((a) => `addr add ${a}/24 dev eth0`), 'link set eth0 up', `route add default via ${gateway} dev eth0`];
      ip(['-n', name, '-batch', '-'], batch.join('\n') + '\n');
      return {
        name,
        ips,
        spawn: (argv, opts = {}) => spawn('ip', ['netns', 'exec', name, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], ...opts }),
      };
    },
  };
}

/** Resolves with the first stdout line matching `pattern`; rejects if the process exits first. */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; got: ${buf.slice(-500)}`)), timeoutMs);
    const onData = (d: Buffer): void => {
      buf += d.toString();
      const line = buf.split('\n').find((l) => pattern.test(l));
      if (line !== undefined) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve(line);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`process exited (${code}) before printing ${pattern}; output: ${buf.slice(-500)}`));
    });
  });
}

/** The port netns-client.ts (the test agent inside a pod namespace) listens on. */
export const AGENT_PORT = 9000;
/** The sidecar's health port (its default). */
export const SIDECAR_HEALTH_PORT = 15020;

/** Asks the test agent in `ns` to do something (`/tcp`, `/udp`, `/dns`, `/transfer/...`) and returns its JSON answer. */
export async function askAgent<T>(ns: Netns, route: string, params: Record<string, string | number>): Promise<T> {
  const q = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
  const res = await fetch(`http://${ns.ips[0]}:${AGENT_PORT}${route}?${q}`);
  return (await res.json()) as T;
}

/** The HTTP status of the sidecar's health endpoint in `ns`, 0 when nothing answers. */
export async function sidecarHealth(ns: Netns): Promise<number> {
  try {
    return (await fetch(`http://${ns.ips[0]}:${SIDECAR_HEALTH_PORT}/healthz`)).status;
  } catch {
    return 0;
  }
}

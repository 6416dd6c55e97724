// Where a pod's processes run. The process sandbox runs them on the host as they are (shared
// host network: ports collide; no mount view: volumes stay in the pod directory). The
// isolated sandbox gives the pod its own network namespace on the instance's bridge, its own
// mount view and its hostname (UTS namespace), all held by a `sleep` holder process that every
// container process joins.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { buildMountScript, shellQuote, type HostView, type TopLevelEntry } from './mount-plan.ts';
import type { HostNetwork } from './netns.ts';
import { volumeMounts, type PreparedPod } from './volumes.ts';
import type { CciPod } from '../../cci/types.ts';

export interface SpawnSpec {
  file: string;
  args: string[];
  cwd: string;
}

export interface PodSandbox {
  readonly podIP: string;
  /** Where the host reaches the pod's ports (probes, port-forward). */
  readonly reachableIP: string;
  /** How to start argv inside the pod, in workingDir. */
  spawnSpec(argv: readonly string[], workingDir: string | undefined): SpawnSpec;
  /** The host path behind a path inside the pod (to check that a command exists). */
  hostPathOf(podPath: string): string;
  destroy(): Promise<void>;
}

export class ProcessSandbox implements PodSandbox {
  readonly podIP: string;
  readonly reachableIP = '127.0.0.1';
  readonly #dir: string | null;

  constructor(podIP: string, dir: string | null) {
    this.podIP = podIP;
    this.#dir = dir;
  }

  spawnSpec(argv: readonly string[], workingDir: string | undefined): SpawnSpec {
    return { file: argv[0]!, args: argv.slice(1), cwd: workingDir ?? '/' };
  }

  hostPathOf(podPath: string): string {
    return podPath;
  }

  async destroy(): Promise<void> {
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
  }
}

const hostView: HostView = {
  exists: (p) => existsSync(p),
  realpath: (p) => realpathSync(p),
  topLevel: () =>
    readdirSync('/', { withFileTypes: true }).map((d): TopLevelEntry => {
      if (d.isSymbolicLink()) return { name: d.name, kind: 'symlink', linkTarget: readlinkSync('/' + d.name) };
      return { name: d.name, kind: d.isDirectory() ? 'dir' : 'file' };
    }),
};

export class IsolatedSandbox implements PodSandbox {
  readonly podIP: string;
  readonly reachableIP: string;
  readonly #prepared: PreparedPod;
  readonly #net: HostNetwork;
  readonly #netns: string;
  readonly #holderPid: number;
  readonly #mounts: { source: string; target: string }[];

  private constructor(podIP: string, prepared: PreparedPod, net: HostNetwork, netns: string, holderPid: number, mounts: { source: string; target: string }[]) {
    this.podIP = podIP;
    this.reachableIP = podIP;
    this.#prepared = prepared;
    this.#net = net;
    this.#netns = netns;
    this.#holderPid = holderPid;
    this.#mounts = mounts;
  }

  static async create(pod: CciPod, podIP: string, prepared: PreparedPod, net: HostNetwork, podIndex: number): Promise<IsolatedSandbox> {
    const netns = await net.createPodNetns(podIndex, podIP);
    try {
      const mounts = [
        ...volumeMounts(pod, prepared),
        { source: prepared.etc.resolvConf, target: '/etc/resolv.conf', readOnly: false, sourceIsFile: true },
        { source: prepared.etc.hosts, target: '/etc/hosts', readOnly: false, sourceIsFile: true },
        { source: prepared.etc.hostname, target: '/etc/hostname', readOnly: false, sourceIsFile: true },
      ];
      const root = path.join(prepared.dir, 'root');
      const overlayDir = path.join(prepared.dir, 'overlay');
      mkdirSync(root, { recursive: true });
      mkdirSync(overlayDir, { recursive: true });
      const tmpfs = [...prepared.volumes.values()].filter((v) => v.memory).map((v) => ({ path: v.path, size: v.sizeLimit }));
      const script = `hostname ${shellQuote(pod.spec.hostname)}\n${buildMountScript({ root, overlayDir, tmpfs, mounts }, hostView)}\necho ready\nexec chroot ${root} sleep infinity\n`;
      const holderPid = await startHolder(netns, script);
      return new IsolatedSandbox(podIP, prepared, net, netns, holderPid, mounts);
    } catch (err) {
      await net.deletePodNetns(netns);
      throw err;
    }
  }

  spawnSpec(argv: readonly string[], workingDir: string | undefined): SpawnSpec {
    const args = ['-t', String(this.#holderPid), '--net', '--mount', '--uts', '--root', '--', 'env', '-C', workingDir ?? '/', ...argv];
    return { file: 'nsenter', args, cwd: '/' };
  }

  hostPathOf(podPath: string): string {
    const m = this.#mounts.find((x) => podPath === x.target || podPath.startsWith(x.target.replace(/\/$/, '') + '/'));
    return m ? path.join(m.source, path.relative(m.target, podPath)) : podPath;
  }

  async destroy(): Promise<void> {
    await this.#net.deletePodNetns(this.#netns);
    await rm(this.#prepared.dir, { recursive: true, force: true });
  }
}

/** Starts the holder and waits for it to report its mounts done; fails with its stderr. */
function startHolder(netns: string, script: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', [`--net=/run/netns/${netns}`, 'unshare', '--mount', '--uts', '--propagation', 'private', '--', 'sh', '-c', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let err = '';
    let out = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready\n')) {
        child.stdout.destroy();
        child.stderr.destroy();
        child.unref();
        resolve(child.pid!);
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`pod sandbox setup failed (exit ${code}): ${err.trim()}`)));
  });
}

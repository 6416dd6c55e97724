// Network plumbing of the isolated runtime, with iproute2: one bridge per mock instance in the
// host namespace holding the subnet's gateway address, and per pod a network namespace joined
// to the bridge by a veth pair. No forwarding or NAT is enabled: pods reach the gateway (the
// host) and each other, nothing else. Names carry the instance's tag so that leftovers of a
// crashed instance with the same state directory can be found and removed.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function ip(args: string[], input?: string): Promise<string> {
  const child = run('ip', args, { maxBuffer: 1 << 20 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  const { stdout } = await child;
  return stdout;
}

async function ipQuiet(args: string[]): Promise<void> {
  await ip(args).catch(() => undefined);
}

export class HostNetwork {
  readonly tag: string;
  readonly bridge: string;
  readonly gateway: string;
  readonly prefix: number;

  constructor(tag: string, gateway: string, prefix: number) {
    this.tag = tag;
    this.bridge = `blbr-${tag}`;
    this.gateway = gateway;
    this.prefix = prefix;
  }

  netnsName(podIndex: number): string {
    return `bl-${this.tag}-${podIndex.toString(36)}`;
  }

  vethName(podIndex: number): string {
    return `bl${this.tag}${podIndex.toString(36)}`;
  }

  /** Removes what a previous instance with the same tag left behind, then creates the bridge. */
  async start(): Promise<void> {
    await this.cleanupStale();
    await ip(['link', 'add', this.bridge, 'type', 'bridge']);
    await ip(['addr', 'add', `${this.gateway}/${this.prefix}`, 'dev', this.bridge]);
    await ip(['link', 'set', this.bridge, 'up']);
  }

  async stop(): Promise<void> {
    await this.cleanupStale();
  }

  async cleanupStale(): Promise<void> {
    const own = (await ip(['netns', 'list']))
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter((n) => n.startsWith(`bl-${this.tag}-`));
    await Promise.all(own.map((ns) => this.deletePodNetns(ns)));
    await ipQuiet(['link', 'del', this.bridge]);
  }

  async createPodNetns(podIndex: number, podIP: string): Promise<string> {
    const ns = this.netnsName(podIndex);
    const veth = this.vethName(podIndex);
    // These names are this pod's now: anything holding them is a leftover no live pod owns (a
    // stop cut short); left in place, `netns add` or `link add` failed with File exists for good.
    await this.deletePodNetns(ns);
    await ipQuiet(['link', 'del', veth]);
    await ip(['netns', 'add', ns]);
    try {
      await ip(['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      await ip(['link', 'set', veth, 'master', this.bridge, 'up']);
      await ip(['-n', ns, '-batch', '-'], [
        'link set lo up',
        `addr add ${podIP}/${this.prefix} dev eth0`,
        'link set eth0 up',
        `route add default via ${this.gateway} dev eth0`,
      ].join('\n') + '\n');
    } catch (err) {
      await this.deletePodNetns(ns);
      throw err;
    }
    return ns;
  }

  /** Kills whatever still runs in the namespace, then deletes it (its veth goes with it). */
  async deletePodNetns(ns: string): Promise<void> {
    const pids = (await ip(['netns', 'pids', ns]).catch(() => ''))
      .split('\n')
      .filter((p) => /^\d+$/.test(p))
      .map(Number);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await ipQuiet(['netns', 'del', ns]);
  }
}

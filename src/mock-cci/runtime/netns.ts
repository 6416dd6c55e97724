// Network plumbing of the isolated runtime, with iproute2: one bridge per Network (subnet) of the
// mock instance in the host namespace, holding the subnet's gateway address, and per pod a
// network namespace joined to its Network's bridge by a veth pair. The Networks are one VPC:
// IPv4 forwarding is enabled on the bridges only (never globally) so pods of different subnets
// reach each other and the VPC's hosts with their own addresses (no NAT), and an nftables table
// of the instance drops whatever the bridges would forward outside the VPC's ranges. Names carry
// the instance's tag so that leftovers of a crashed instance can be found and removed.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
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

async function nft(script: string): Promise<void> {
  const child = run('nft', ['-f', '-']);
  child.child.stdin?.end(script);
  await child;
}

const bridgePrefix = (tag: string): string => `blbr-${tag}`;
const nftTable = (tag: string): string => `blmock${tag}`;

export class HostNetwork {
  readonly tag: string;
  readonly bridge: string;
  readonly gateway: string;
  readonly prefix: number;

  /** `index`: the Network's place in the namespace; the first's bridge is blbr-<tag>, the others blbr-<tag>-<index>. */
  constructor(tag: string, gateway: string, prefix: number, index = 0) {
    this.tag = tag;
    this.bridge = index === 0 ? bridgePrefix(tag) : `${bridgePrefix(tag)}-${index}`;
    this.gateway = gateway;
    this.prefix = prefix;
  }

  /**
   * Starts every bridge of an instance, forwarding between them, and the guard that keeps
   * forwarded traffic inside `vpcCidrs` (the Networks' own ranges at least).
   */
  static async startAll(nets: readonly HostNetwork[], vpcCidrs: readonly string[]): Promise<void> {
    const tag = nets[0]!.tag;
    await HostNetwork.stopAll(tag);
    for (const net of nets) await net.start();
    const ranges = [...new Set([...nets.map((n) => `${n.gateway}/${n.prefix}`), ...vpcCidrs])].join(', ');
    await nft([
      `table ip ${nftTable(tag)} {`,
      '  chain forward {',
      '    type filter hook forward priority 0; policy accept;',
      `    iifname "${bridgePrefix(tag)}*" ip daddr != { ${ranges} } drop`,
      '  }',
      '}',
    ].join('\n') + '\n');
    for (const net of nets) await writeFile(`/proc/sys/net/ipv4/conf/${net.bridge}/forwarding`, '1\n');
  }

  /** Removes every bridge, pod namespace and the nftables table an instance with `tag` left. */
  static async stopAll(tag: string): Promise<void> {
    const bridges = (await ip(['-o', 'link', 'show', 'type', 'bridge']).catch(() => ''))
      .split('\n')
      .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1] ?? '')
      .filter((name) => name === bridgePrefix(tag) || name.startsWith(`${bridgePrefix(tag)}-`));
    await new HostNetwork(tag, '', 0).cleanupStale();
    for (const b of bridges) await ipQuiet(['link', 'del', b]);
    await nft(`delete table ip ${nftTable(tag)}\n`).catch(() => undefined);
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

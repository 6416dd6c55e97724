// What the isolated runtime needs from the machine, checked before anything starts: root,
// the commands it and the burstlet-network sidecar shell out to, and a subnet no other
// interface holds. Pure: the caller probes the machine (preflight-probe.ts) and passes the facts.

export interface Requirement {
  command: string;
  /** The Debian package that provides it. */
  pkg: string;
  why: string;
}

/** Every command the isolated runtime runs (netns.ts, sandbox.ts, mount-plan.ts) and the sidecar's nft and conntrack. */
export const ISOLATED_COMMANDS: readonly Requirement[] = [
  { command: 'ip', pkg: 'iproute2', why: 'creates the bridge and each pod\'s network namespace and veth' },
  { command: 'nft', pkg: 'nftables', why: 'the burstlet-network sidecar installs the Service DNAT rules with it' },
  { command: 'conntrack', pkg: 'conntrack', why: 'the burstlet-network sidecar deletes the UDP flows of endpoints that left a Service with it' },
  { command: 'unshare', pkg: 'util-linux', why: 'gives each pod its own mount and UTS namespaces' },
  { command: 'nsenter', pkg: 'util-linux', why: 'starts every container process inside its pod\'s namespaces' },
  { command: 'mount', pkg: 'mount', why: 'mounts each pod\'s root, volumes and /etc files' },
  { command: 'hostname', pkg: 'hostname', why: 'sets each pod\'s host name' },
  { command: 'chroot', pkg: 'coreutils', why: 'runs each pod in its own root' },
];

export interface HostAddress {
  dev: string;
  /** IPv4 address and prefix length, as `ip -o -4 addr` shows them: 198.18.0.1/24. */
  cidr: string;
}

/** Facts about the machine, gathered by the caller. */
export interface MachineFacts {
  uid: number | undefined;
  /** Which of ISOLATED_COMMANDS' commands are on PATH. */
  commands: ReadonlySet<string>;
  /** The host's IPv4 addresses (undefined when `ip` is missing and they could not be read). */
  addresses: readonly HostAddress[] | undefined;
}

export interface SubnetWanted {
  cidr: string;
  /** The bridge this instance puts on it (blbr-<tag>): a leftover of it is cleaned at start, not a conflict. */
  ownBridge?: string;
}

export interface PreflightResult {
  ok: boolean;
  /** One line per problem, each saying what is wrong. */
  problems: string[];
  /** Debian packages that would supply the missing commands, in order, without duplicates. */
  packages: string[];
}

function ipv4(text: string): number {
  return text.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

/** Two IPv4 CIDRs overlap when the shorter prefix's network contains the other's. */
export function cidrsOverlap(a: string, b: string): boolean {
  const [aAddr = '', aLen = '32'] = a.split('/');
  const [bAddr = '', bLen = '32'] = b.split('/');
  const len = Math.min(Number(aLen), Number(bLen));
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return ((ipv4(aAddr) & mask) >>> 0) === ((ipv4(bAddr) & mask) >>> 0);
}

export function preflightIsolated(facts: MachineFacts, subnets: readonly SubnetWanted[]): PreflightResult {
  const problems: string[] = [];
  if (facts.uid !== 0) {
    problems.push('not running as root: the isolated runtime creates network namespaces, a bridge and mounts, which need root');
  }
  const missing = ISOLATED_COMMANDS.filter((r) => !facts.commands.has(r.command));
  for (const r of missing) problems.push(`${r.command} is not installed (Debian package ${r.pkg}): ${r.why}`);
  for (const subnet of subnets) {
    const taken = (facts.addresses ?? []).find((a) => a.dev !== subnet.ownBridge && cidrsOverlap(a.cidr, subnet.cidr));
    if (taken) {
      const burstlet = taken.dev.startsWith('blbr-')
        ? ` (another burstlet local or mock-cci uses it, or one that was killed left it behind: stop that one, or remove the leftover with \`ip link del ${taken.dev}\`)`
        : '';
      problems.push(`the pod subnet ${subnet.cidr} is in use: ${taken.dev} holds ${taken.cidr}${burstlet}`);
    }
  }
  return { ok: problems.length === 0, problems, packages: [...new Set(missing.map((r) => r.pkg))] };
}

/** The message a command prints before exiting 2: what is wrong, what to install, then `otherwise` (the way without root). */
export function preflightMessage(command: string, result: PreflightResult, otherwise: string): string {
  return [
    `${command}: the isolated runtime (--runtime=isolated, the default as root) cannot run on this machine:`,
    ...result.problems.map((p) => `  - ${p}`),
    ...(result.packages.length > 0 ? [`Install what is missing (as root): apt-get install ${result.packages.join(' ')}`] : []),
    otherwise,
  ].join('\n');
}

/** `ip -o -4 addr show` output → the host's addresses ("3: blbr-1a2b3c    inet 198.18.0.1/24 scope global …"). */
export function parseIpAddrs(text: string): HostAddress[] {
  const out: HostAddress[] = [];
  for (const line of text.split('\n')) {
    const m = /^\d+:\s+([^\s@]+)\S*\s+inet\s+(\d+\.\d+\.\d+\.\d+\/\d+)/.exec(line);
    if (m) out.push({ dev: m[1]!, cidr: m[2]! });
  }
  return out;
}

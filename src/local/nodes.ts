// The nodes of the local environment: each is a `burstlet mock-cci` backend on its own subnet
// plus a `burstlet node` registering it, both real processes. The burst node is what
// burstlet is for (tainted, large quota); the "cluster" node stands in for the cluster's
// ordinary machines (no taint, small quota), so both directions of CCE's Service example run.
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startBurstlet, type BurstletProcess } from './child.ts';
import { freePort } from './free-port.ts';

const run = promisify(execFile);

export interface LocalNodeSpec {
  name: string;
  /** The CCI namespace's default Network. */
  subnet: string;
  /** Further Networks, `<name>=<cidr>`: pods choose one with the annotation cci.io/network. */
  networks?: string[];
  /** Passed to `burstlet node --node-taints`; '' for an untainted node. */
  taints?: string;
  /** An ordinary node's labels instead of the virtual node's (burstlet node --virtual-node-labels=false --node-labels=…). */
  ordinaryLabels?: string;
  /** Runs the burst policy (`--webhook-port`): its webhook and, when elected, its controllers. */
  policy?: boolean;
  quota?: { cpu: string; memory: string; pods: number };
}

/** The burst node's namespace has a second Network, "fixed": the subnet a database would whitelist (README: Subnets for IP whitelisting). */
export const BURST_NODE: LocalNodeSpec = { name: 'burstlet-cci', subnet: '198.18.0.0/24', networks: ['fixed=198.18.1.0/24'], policy: true };
/** Where the backends' pods may reach through the host: the local environment's addresses, nothing beyond. */
export const LOCAL_VPC = '198.18.0.0/15';
export const CLUSTER_NODE: LocalNodeSpec = {
  name: 'cluster-node-1',
  subnet: '198.18.16.0/24',
  taints: '',
  // Looks like any machine of the cluster: nothing of the virtual node's (a pod selecting
  // type=virtual-kubelet must not land here); the instance type names its quota.
  ordinaryLabels: 'node.kubernetes.io/instance-type=local.4u8g',
  quota: { cpu: '4', memory: '8Gi', pods: 30 },
};

export interface LocalNodeOptions {
  stateDir: string;
  runtime: 'isolated' | 'process';
  logLevel: string;
  onStderr?: (component: string, chunk: Buffer) => void;
}

/** A node's backend, started before the control plane: its bridge holds the subnet's gateway. */
export interface LocalBackend {
  spec: LocalNodeSpec;
  cciUrl: string;
  tokenFile: string;
  gateway: string;
  proc: BurstletProcess;
}

export interface LocalNode {
  name: string;
  cciUrl: string;
  kubeletPort: number;
  /** The burst-policy webhook's port on 127.0.0.1 (POST /mutate), for a node with `policy`. */
  webhookPort: number | undefined;
  stop(): Promise<void>;
}

/** The subnet's first address: the gateway the mock puts on its bridge. */
export function gatewayOf(subnet: string): string {
  const [base] = subnet.split('/');
  const octets = base!.split('.').map(Number);
  octets[3] = octets[3]! + 1;
  return octets.join('.');
}

/** The state directory of a node's mock CCI (its bridge's name derives from it). */
export function backendStateDir(stateDir: string, spec: LocalNodeSpec): string {
  return join(stateDir, `cci-${spec.name}`);
}

export async function startLocalBackend(spec: LocalNodeSpec, opts: LocalNodeOptions): Promise<LocalBackend> {
  const tokenFile = join(opts.stateDir, `cci-token-${spec.name}`);
  writeFileSync(tokenFile, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  const quota = spec.quota
    ? [`--quota-cpu=${spec.quota.cpu}`, `--quota-memory=${spec.quota.memory}`, `--quota-pods=${spec.quota.pods}`]
    : [];
  const { proc, match } = await startBurstlet(
    [
      'mock-cci',
      '--port=0',
      `--token-file=${tokenFile}`,
      `--subnet=${spec.subnet}`,
      ...(spec.networks ?? []).map((n) => `--subnet=${n}`),
      `--vpc-cidr=${LOCAL_VPC}`,
      `--runtime=${opts.runtime}`,
      `--state-dir=${backendStateDir(opts.stateDir, spec)}`,
      `--log-level=${opts.logLevel}`,
      ...quota,
    ],
    { ready: /ready at (http\S+)/, onStderr: (d) => opts.onStderr?.(`mock-cci/${spec.name}`, d) },
  );
  return { spec, cciUrl: match[1]!, tokenFile, gateway: gatewayOf(spec.subnet), proc };
}

/**
 * Lets the host route between the backends' bridges, so a pod on one node reaches a pod on the
 * other. Forwarding is switched on for those bridges only (never host-wide) and goes with them.
 */
export async function routeBetweenBackends(backends: readonly LocalBackend[]): Promise<void> {
  for (const backend of backends) {
    const { stdout } = await run('ip', ['-o', '-4', 'addr', 'show', 'to', `${backend.gateway}/32`]);
    const devs = stdout.split('\n').map((l) => /^\d+:\s+(\S+)/.exec(l)?.[1]).filter((d) => d !== undefined);
    if (devs.length === 0) throw new Error(`no bridge holds ${backend.gateway} for ${backend.spec.name}; is mock-cci running with --runtime=isolated?`);
    if (devs.length > 1) {
      throw new Error(`${backend.gateway} is held by ${devs.join(', ')}: another burstlet local is running on the same subnets; stop it first`);
    }
    const dev = devs[0]!;
    await writeFile(`/proc/sys/net/ipv4/conf/${dev}/forwarding`, '1\n');
  }
}

export async function startLocalNode(
  backend: LocalBackend,
  opts: LocalNodeOptions & {
    kubeconfigPath: string;
    nodeArgs: readonly string[];
    rebalanceMs?: number;
    /** The CA of the API server's kubelet client certificate (default: the local CA, <state-dir>/ca.pem). */
    clientCaFile?: string;
  },
): Promise<LocalNode> {
  const { spec } = backend;
  const kubeletPort = await freePort();
  const webhookPort = spec.policy ? await freePort() : undefined;
  const policy = webhookPort === undefined
    ? []
    : [`--webhook-port=${webhookPort}`, '--webhook-hosts=127.0.0.1', ...(opts.rebalanceMs ? ['--rebalance', `--rebalance-interval=${opts.rebalanceMs}ms`] : [])];
  const { proc } = await startBurstlet(
    [
      'node',
      `--nodename=${spec.name}`,
      `--kubeconfig=${opts.kubeconfigPath}`,
      `--cci-endpoint=${backend.cciUrl}`,
      `--cci-token-file=${backend.tokenFile}`,
      `--port=${kubeletPort}`,
      // The API server proxies logs/exec/port-forward with a client certificate of the local CA.
      `--client-ca-file=${opts.clientCaFile ?? join(opts.stateDir, 'ca.pem')}`,
      '--metrics-addr=',
      `--log-level=${opts.logLevel}`,
      ...(spec.taints === undefined ? [] : [`--node-taints=${spec.taints}`]),
      ...(spec.ordinaryLabels === undefined ? [] : ['--virtual-node-labels=false', `--node-labels=${spec.ordinaryLabels}`]),
      ...policy,
      ...opts.nodeArgs,
    ],
    { ready: /running/, onStderr: (d) => opts.onStderr?.(`node/${spec.name}`, d) },
  );
  return {
    name: spec.name,
    cciUrl: backend.cciUrl,
    kubeletPort,
    webhookPort,
    async stop() {
      // The node first, so it does not see its backend vanish; the mock then removes its pods.
      await proc.stop();
      await backend.proc.stop();
    },
  };
}

// `burstlet mock-cci`: a CCI 2.0 API backed by real processes.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { instanceTag, startMockCci } from '../mock-cci/instance.ts';
import { networksProblem, parseNetworkSpec, type NetworkSpec } from '../mock-cci/networks.ts';
import { HostNetwork } from '../mock-cci/runtime/netns.ts';
import { parseCidr } from '../net/cidr.ts';
import { preflightIsolated, preflightMessage } from '../mock-cci/runtime/preflight.ts';
import { probeMachine } from '../mock-cci/runtime/preflight-probe.ts';
import { reapDeadInstances } from '../mock-cci/runtime/instances.ts';
import { cpuMillis, memoryBytes } from '../kube/quantity.ts';
import { createLogger, LOG_LEVELS } from '../log/logger.ts';
import { boolFlag, defineSubcommand, durationFlag, enumFlag, intFlag, listFlag, requiredString, stringFlag, UsageError, type FlagDef } from '../flags/flags.ts';
import { errorMessage } from '../log/error-message.ts';
import { connectionFlags, connectionLimits } from './connection-flags.ts';

const isRoot = process.getuid?.() === 0;

function quantityFlag(help: string, defaultValue: string, parse: (raw: string) => bigint): FlagDef<string> {
  return {
    help,
    accepted: 'a Kubernetes quantity such as 500m, 64, 256Gi',
    default: defaultValue,
    parse: (raw) => {
      if (parse(raw) < 0n) throw new Error('must not be negative');
      return raw;
    },
  };
}

function fractionFlag(help: string): FlagDef<number> {
  return {
    help,
    accepted: 'a number from 0 to 1',
    default: 0,
    parse: (raw) => {
      const n = Number(raw);
      if (raw === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new Error('not between 0 and 1');
      return n;
    },
  };
}

// Repeatable; the Networks' names and ranges are checked together once all are read.
const subnetFlag: FlagDef<NetworkSpec[]> = {
  ...listFlag(
    'The namespace\'s Networks (VPC subnets) pods take IPs from, the first the default; a pod chooses another with the annotation cci.io/network=<name>. .1 of each is its gateway.',
    '[<name>=]<IPv4 CIDR from /16 to /30> (unnamed: "default"), such as 198.18.0.0/24 or fixed=198.18.1.0/24',
    parseNetworkSpec,
    { default: [{ name: 'default', cidr: '198.18.0.0/24' }], show: (n) => (n.name === 'default' ? n.cidr : `${n.name}=${n.cidr}`) },
  ),
  check(networks) {
    const clash = networksProblem(networks);
    if (clash) throw new Error(`${clash}; give each Network its own name and range`);
  },
};

export default defineSubcommand({
  name: 'mock-cci',
  summary: 'Serve a mock CCI 2.0 API whose pods run as real processes.',
  flags: {
    address: stringFlag('Address to listen on.', '127.0.0.1', 'an IP address or host name'),
    port: intFlag('Port to listen on; 0 picks a free one (the ready line on stdout says which).', 0, 0, 65535),
    'token-file': requiredString('File holding the X-Auth-Token every request must carry (required).', 'a path to a non-empty file'),
    namespace: stringFlag('The CCI namespace this backend serves.', 'default', 'a namespace name'),
    subnet: subnetFlag,
    'shared-vpc': boolFlag('The Networks belong to a VPC shared from another account, as CCI shows it (burstlet node refuses --enable-networking there, as CCE does)'),
    'vpc-cidr': listFlag('Ranges besides the Networks\' own that pods may reach through the host (the VPC\'s other hosts); whatever else the bridges would forward is dropped (isolated runtime)', 'IPv4 CIDRs', (raw) => parseCidr(raw).cidr),
    'quota-cpu': quantityFlag('CPU quota of the namespace.', '1000', cpuMillis),
    'quota-memory': quantityFlag('Memory quota of the namespace.', '4Ti', memoryBytes),
    'quota-pods': intFlag('Pod count quota of the namespace.', 10_000, 0, 1_000_000),
    'quota-ephemeral-storage': quantityFlag('Ephemeral storage quota of the namespace.', '100Ti', memoryBytes),
    runtime: enumFlag(
      'How pods run: isolated (own network and mount namespaces; needs root), process (plain host processes sharing the host network) or none (Running at once, nothing started: a backend that does no work, for benchmarks).',
      isRoot ? 'isolated' : 'process',
      ['isolated', 'process', 'none'] as const,
    ),
    'state-dir': stringFlag('Directory for pod files; leftovers of a crashed instance using it are cleaned at start (default: a temporary directory).', '', 'a directory path'),
    'crashloop-base': durationFlag('First CrashLoopBackOff delay; it doubles up to 30 times this (10s → 5m).', 10_000),
    'fault-latency': durationFlag('Injected latency added to every API request (0 = off).', 0),
    'fault-error-rate': fractionFlag('Fraction of API requests answered with an injected 429/503 (or, for writes, a 500 after the work was done).'),
    'fault-drop-watch-after': durationFlag('Drop every watch after this long (0 = off).', 0),
    'fault-seed': intFlag('Seed of the fault injector: the same seed gives the same faults.', 1, 0, 2 ** 31 - 1),
    ...connectionFlags('the API'),
    'log-level': enumFlag('Log level (logs go to stderr as JSON).', 'info', LOG_LEVELS),
  },
  async run(flags) {
    if (flags['token-file'] === '') throw new UsageError('burstlet mock-cci: --token-file is required (a file holding the X-Auth-Token clients must send)');
    if (flags.runtime === 'isolated') {
      // What instances that are gone left on the host (a stop cut short) must not look like a live one.
      if (isRoot) await reapDeadInstances();
      const tag = flags['state-dir'] === '' ? undefined : instanceTag(path.resolve(flags['state-dir']));
      const preflight = preflightIsolated(probeMachine(), flags.subnet.map((n, i) => ({ cidr: n.cidr, ...(tag ? { ownBridge: new HostNetwork(tag, '', 0, i).bridge } : {}) })));
      if (!preflight.ok) throw new UsageError(preflightMessage('burstlet mock-cci', preflight, 'Or run without root and without per-pod networks: burstlet mock-cci --runtime=process'));
    }
    let token: string;
    try {
      token = (await readFile(flags['token-file'], 'utf8')).trim();
    } catch (err) {
      throw new UsageError(`burstlet mock-cci: cannot read --token-file ${JSON.stringify(flags['token-file'])}: ${errorMessage(err)}`);
    }
    if (token === '') throw new UsageError(`burstlet mock-cci: --token-file ${JSON.stringify(flags['token-file'])} is empty; put the token in it`);
    const log = createLogger(flags['log-level'], 'mock-cci');
    const mock = await startMockCci({
      address: flags.address,
      port: flags.port,
      token,
      namespace: flags.namespace,
      networks: flags.subnet,
      vpcCidrs: flags['vpc-cidr'],
      sharedVpc: flags['shared-vpc'],
      quota: { cpu: flags['quota-cpu'], memory: flags['quota-memory'], pods: flags['quota-pods'], ephemeralStorage: flags['quota-ephemeral-storage'] },
      runtime: flags.runtime,
      stateDir: flags['state-dir'],
      crashLoopBaseMs: flags['crashloop-base'],
      faults: {
        latencyMs: flags['fault-latency'],
        errorRate: flags['fault-error-rate'],
        dropWatchAfterMs: flags['fault-drop-watch-after'],
        seed: flags['fault-seed'],
      },
      limits: connectionLimits(flags),
      log,
    });
    console.log(`burstlet mock-cci ready at ${mock.url} (namespace ${flags.namespace}, subnet ${flags.subnet.map((n) => (n.name === 'default' ? n.cidr : `${n.name}=${n.cidr}`)).join(',')}, runtime ${flags.runtime})`);
    const shutdown = (signal: string): void => {
      log.info({ signal }, 'stopping: removing every pod and host object');
      void mock.close().then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err: errorMessage(err) }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  },
});

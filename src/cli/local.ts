// `burstlet local`: the whole local environment — the control plane and, with --nodes, a burst
// node and a stand-in cluster node, each a mock CCI backend plus a `burstlet node` process.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { instanceTag } from '../mock-cci/instance.ts';
import { preflightIsolated, preflightMessage } from '../mock-cci/runtime/preflight.ts';
import { probeMachine } from '../mock-cci/runtime/preflight-probe.ts';
import { LOG_LEVELS, createLogger } from '../log/logger.ts';
import { startLocalControlPlane } from '../local/control-plane.ts';
import { KUBE_DNS_CLUSTER_IP } from '../local/dns/kube-dns-service.ts';
import { BURST_NODE, CLUSTER_NODE, backendStateDir, freePort, routeBetweenBackends, startLocalBackend, startLocalNode, type LocalBackend } from '../local/nodes.ts';
import { boolFlag, defineSubcommand, durationFlag, enumFlag, intFlag, ipAddress, stringFlag, UsageError, type FlagDef } from '../flags/flags.ts';

const addressFlag: FlagDef<string> = { ...stringFlag('Address the API server listens on.', '127.0.0.1', 'an IP address'), parse: ipAddress };
const isRoot = process.getuid?.() === 0;

export default defineSubcommand({
  name: 'local',
  summary: 'Run a local control plane (API server, scheduler, controllers, cluster DNS) and, with --nodes, a burst node and a cluster node.',
  flags: {
    'state-dir': stringFlag('Directory for the CA, certificates, kubeconfig and node state.', '.burstlet', 'a directory path'),
    address: addressFlag,
    port: intFlag('HTTPS port of the API server (0 picks a free one).', 6443, 0, 65535),
    nodes: boolFlag('Also run the burst node (burstlet-cci, tainted) and a cluster node (cluster-node-1), each on its own mock CCI.'),
    runtime: enumFlag(
      'How the nodes\' mock CCI runs pods: isolated (own network/mount namespaces, Services via the sidecar; needs root) or process.',
      isRoot ? 'isolated' : 'process',
      ['isolated', 'process'] as const,
    ),
    'rebalance-interval': durationFlag('With --nodes: the burst node moves burst pods of localPrefer and auto workloads back to the cluster node this often when it has room (burstlet node --rebalance); 0 = off.', 0),
    'log-level': enumFlag('Log level (logs go to stderr).', 'info', LOG_LEVELS),
  },
  async run(flags) {
    const stateDir = flags['state-dir'];
    const isolated = flags.runtime === 'isolated';
    if (flags.nodes && isolated) {
      // Before anything starts: what the nodes' isolated runtime needs, said once, with the way without it.
      const subnets = [BURST_NODE, CLUSTER_NODE].map((spec) => ({ cidr: spec.subnet, ownBridge: `blbr-${instanceTag(resolve(backendStateDir(stateDir, spec)))}` }));
      const preflight = preflightIsolated(probeMachine(), subnets);
      if (!preflight.ok) throw new UsageError(preflightMessage('burstlet local', preflight, 'Or run without root and without per-pod networks: burstlet local --nodes --runtime=process (npm start -- --runtime=process)'));
    }
    const logger = createLogger(flags['log-level'], 'burstlet-local');
    mkdirSync(stateDir, { recursive: true });
    const nodeOpts = {
      stateDir,
      runtime: flags.runtime,
      logLevel: flags['log-level'],
      onStderr: (_component: string, chunk: Buffer) => process.stderr.write(chunk),
    };
    const stops: (() => Promise<void>)[] = [];
    const stopAll = async (): Promise<void> => {
      for (const stop of stops.splice(0).reverse()) await stop().catch((err: unknown) => logger.error({ err }, 'stopping failed'));
    };
    const stop = (signal: string): void => {
      logger.info({ signal }, 'stopping');
      void stopAll().then(() => process.exit(0));
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    try {
      // Backends first: in isolated mode their bridges hold the gateways that pods reach the
      // cluster DNS server on, so it must bind there.
      const backends: LocalBackend[] = [];
      if (flags.nodes) {
        for (const spec of [BURST_NODE, CLUSTER_NODE]) {
          const backend = await startLocalBackend(spec, nodeOpts);
          backends.push(backend);
          stops.push(() => backend.proc.stop());
        }
        if (isolated) await routeBetweenBackends(backends);
      }
      const dns = flags.nodes && isolated ? { host: backends[0]!.gateway, port: 53 } : { host: '127.0.0.1', port: 0 };
      const plane = await startLocalControlPlane({ stateDir, host: flags.address, port: flags.port, logger, dns });
      stops.push(() => plane.close());
      for (const backend of backends) {
        // Sidecars reach their node's service directory on the gateway of its pods' subnet.
        const networking = isolated
          ? ['--enable-networking', `--service-directory-address=${backend.gateway}`, `--service-directory-port=${await freePort()}`]
          : [];
        const nodeArgs = [`--cluster-dns=${KUBE_DNS_CLUSTER_IP}`, ...networking];
        const node = await startLocalNode(backend, { ...nodeOpts, kubeconfigPath: plane.kubeconfigPath, nodeArgs, rebalanceMs: flags['rebalance-interval'] });
        stops.push(() => node.stop());
      }
      const kubeconfig = join(stateDir, 'kubeconfig');
      const nodes = backends.length > 0 ? ` (nodes: ${backends.map((b) => b.spec.name).join(' ')})` : '';
      console.log(`burstlet local: ready at ${plane.url}, kubeconfig ${kubeconfig}${nodes}`);
    } catch (err) {
      await stopAll();
      throw err;
    }
  },
});

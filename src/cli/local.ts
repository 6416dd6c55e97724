// `burstlet local`: the whole local environment — a control plane (the embedded one, or the real
// Kubernetes components with --control-plane=kubernetes, or none: --kubeconfig attaches to an
// existing cluster) and, with --nodes, a burst node and a stand-in cluster node, each a mock CCI
// backend plus a `burstlet node` process.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { instanceTag } from '../mock-cci/instance.ts';
import { preflightIsolated, preflightMessage } from '../mock-cci/runtime/preflight.ts';
import { probeMachine } from '../mock-cci/runtime/preflight-probe.ts';
import { HostNetwork } from '../mock-cci/runtime/netns.ts';
import { reapDeadInstances } from '../mock-cci/runtime/instances.ts';
import { LOG_LEVELS, createLogger, type Logger } from '../log/logger.ts';
import { startLocalControlPlane } from '../local/control-plane.ts';
import { KUBE_DNS_CLUSTER_IP } from '../local/dns/kube-dns-service.ts';
import { attachToCluster } from '../local/kubernetes/attach.ts';
import { startKubernetesControlPlane } from '../local/kubernetes/control-plane.ts';
import { applyOperatorManifests, serviceAccountKubeconfigPath, writeServiceAccountKubeconfig } from '../local/kubernetes/operator-identity.ts';
import { pointWebhookAt, UNSERVED_WEBHOOK_URL } from '../local/kubernetes/webhook.ts';
import { SERVICE_CIDR } from '../local/kubernetes/component-flags.ts';
import { findTestbedBinary } from '../local/kubernetes/testbed-binary.ts';
import { waitForSchedulableNodes } from '../local/schedulable-nodes.ts';
import { BURST_NODE, CLUSTER_NODE, backendStateDir, routeBetweenBackends, startLocalBackend, startLocalNode, type LocalBackend } from '../local/nodes.ts';
import { freePort } from '../local/free-port.ts';
import { boolFlag, defineSubcommand, durationFlag, enumFlag, intFlag, ipAddress, stringFlag, UsageError, type FlagDef } from '../flags/flags.ts';

const addressFlag: FlagDef<string> = { ...stringFlag('Address the API server listens on.', '127.0.0.1', 'an IP address'), parse: ipAddress };
const isRoot = process.getuid?.() === 0;

/** What the nodes join: the API server, and how they authenticate to it and it to them. */
interface Plane {
  url: string;
  /** The kubeconfig the ready line names (an administrator's). */
  kubeconfig: string;
  nodeKubeconfig: string;
  clientCaFile?: string;
  clusterDns: string | undefined;
  /** Extra `burstlet node` flags for one node (its serving certificate, token authentication). */
  nodeArgs(name: string): Promise<string[]>;
  /** Has the API server call the burst-policy webhook at `url` (a plane that calls webhooks). */
  webhook(url: string): Promise<void>;
  close(): Promise<void>;
}

interface PlaneOptions {
  stateDir: string;
  host: string;
  port: number;
  logger: Logger;
  dns: { host: string; port: number };
}

async function embeddedPlane(o: PlaneOptions): Promise<Plane> {
  const plane = await startLocalControlPlane({ stateDir: o.stateDir, host: o.host, port: o.port, logger: o.logger, dns: o.dns });
  const kubeconfig = join(o.stateDir, 'kubeconfig');
  return { url: plane.url, kubeconfig, nodeKubeconfig: plane.kubeconfigPath, clusterDns: KUBE_DNS_CLUSTER_IP, nodeArgs: async () => [`--service-cluster-ip-range=${SERVICE_CIDR}`], webhook: async () => undefined, close: () => plane.close() };
}

async function kubernetesPlane(o: PlaneOptions): Promise<Plane> {
  const found = findTestbedBinary();
  if ('missing' in found) throw new UsageError(`burstlet local --control-plane=kubernetes: ${found.missing}`);
  const plane = await startKubernetesControlPlane({ binary: found.path, ...o });
  try {
    await applyOperatorManifests(plane.kubeconfigPath);
    // manifests/ point kube-apiserver at the webhook's Service; the nodes here are host
    // processes, and each points it at its own port when it starts.
    await pointWebhookAt(plane.kubeconfigPath, UNSERVED_WEBHOOK_URL);
    const nodeKubeconfig = await writeServiceAccountKubeconfig(plane.kubeconfigPath, plane.url, plane.pki.pki.caPem, serviceAccountKubeconfigPath(o.stateDir));
    return {
      url: plane.url,
      kubeconfig: plane.kubeconfigPath,
      nodeKubeconfig,
      clusterDns: KUBE_DNS_CLUSTER_IP,
      // kube-apiserver dials the node's InternalIP (--node-ip, loopback here) and checks the
      // serving certificate against its --kubelet-certificate-authority.
      async nodeArgs(name) {
        const serving = await plane.pki.issueKubeletServing(name, '127.0.0.1');
        return [`--tls-cert-file=${serving.cert}`, `--tls-private-key-file=${serving.key}`, '--authentication-token-webhook', `--service-cluster-ip-range=${SERVICE_CIDR}`];
      },
      webhook: (url) => pointWebhookAt(plane.kubeconfigPath, url),
      close: () => plane.close(),
    };
  } catch (err) {
    await plane.close();
    throw err;
  }
}

async function attachedPlane(kubeconfig: string, stateDir: string): Promise<Plane> {
  const cluster = await attachToCluster(kubeconfig, stateDir);
  return {
    url: cluster.url,
    kubeconfig,
    nodeKubeconfig: kubeconfig,
    ...(cluster.clientCaFile ? { clientCaFile: cluster.clientCaFile } : {}),
    clusterDns: cluster.clusterDns,
    nodeArgs: async () => ['--authentication-token-webhook'],
    // The cluster's own API server may not reach this host: its webhook configuration stays as it is.
    webhook: async () => undefined,
    close: async () => undefined,
  };
}

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
    'control-plane': enumFlag(
      'embedded: burstlet\'s own API server, scheduler and controllers; kubernetes: the real etcd, kube-apiserver, kube-controller-manager, kube-scheduler, CoreDNS and metrics-server (build them first: npm run kubernetes:build), with the nodes under the identity manifests/ grants.',
      'embedded',
      ['embedded', 'kubernetes'] as const,
    ),
    kubeconfig: stringFlag('Start no control plane: attach the nodes (implies --nodes) to the cluster of this kubeconfig, under its identity.', '', 'a file path'),
    'log-level': enumFlag('Log level (logs go to stderr).', 'info', LOG_LEVELS),
  },
  async run(flags) {
    const stateDir = flags['state-dir'];
    const attach = flags.kubeconfig !== '';
    if (attach && flags['control-plane'] === 'kubernetes') {
      throw new UsageError('burstlet local: --kubeconfig attaches to an existing cluster and starts no control plane; drop --control-plane=kubernetes (or --kubeconfig)');
    }
    const isolated = flags.runtime === 'isolated';
    const withNodes = flags.nodes || attach;
    if (withNodes && isolated) {
      // What instances that are gone left on the host (a stop cut short) must not look like a live one.
      if (isRoot) await reapDeadInstances();
      // Before anything starts: what the nodes' isolated runtime needs, said once, with the way without it.
      const subnets = [BURST_NODE, CLUSTER_NODE].flatMap((spec) => {
        const tag = instanceTag(resolve(backendStateDir(stateDir, spec)));
        const cidrs = [spec.subnet, ...(spec.networks ?? []).map((n) => n.slice(n.indexOf('=') + 1))];
        return cidrs.map((cidr, i) => ({ cidr, ownBridge: new HostNetwork(tag, '', 0, i).bridge }));
      });
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
      if (withNodes) {
        for (const spec of [BURST_NODE, CLUSTER_NODE]) {
          const backend = await startLocalBackend(spec, nodeOpts);
          backends.push(backend);
          stops.push(() => backend.proc.stop());
        }
        if (isolated) await routeBetweenBackends(backends);
      }
      const planeOpts: PlaneOptions = {
        stateDir,
        host: flags.address,
        port: flags.port,
        logger,
        dns: withNodes && isolated ? { host: backends[0]!.gateway, port: 53 } : { host: '127.0.0.1', port: 0 },
      };
      const plane = attach
        ? await attachedPlane(flags.kubeconfig, stateDir)
        : flags['control-plane'] === 'kubernetes'
          ? await kubernetesPlane(planeOpts)
          : await embeddedPlane(planeOpts);
      stops.push(() => plane.close());
      for (const backend of backends) {
        // Sidecars reach their node's service directory on the gateway of its pods' subnet.
        const networking = isolated
          ? ['--enable-networking', `--service-directory-address=${backend.gateway}`, `--service-directory-port=${await freePort()}`]
          : [];
        const nodeArgs = [...(plane.clusterDns ? [`--cluster-dns=${plane.clusterDns}`] : []), ...networking, ...(await plane.nodeArgs(backend.spec.name))];
        const node = await startLocalNode(backend, {
          ...nodeOpts,
          kubeconfigPath: plane.nodeKubeconfig,
          nodeArgs,
          rebalanceMs: flags['rebalance-interval'],
          ...(plane.clientCaFile ? { clientCaFile: plane.clientCaFile } : {}),
        });
        stops.push(() => node.stop());
        if (node.webhookPort !== undefined) await plane.webhook(`https://127.0.0.1:${node.webhookPort}/mutate`);
      }
      if (backends.length > 0) await waitForSchedulableNodes(plane.kubeconfig, backends.map((b) => b.spec.name), { timeoutMs: 60_000 });
      const nodes = backends.length > 0 ? ` (nodes: ${backends.map((b) => b.spec.name).join(' ')})` : '';
      console.log(`burstlet local: ready at ${plane.url}, kubeconfig ${plane.kubeconfig}${nodes}`);
    } catch (err) {
      await stopAll();
      throw err;
    }
  },
});

// `burstlet node` assembled: the Kubernetes client (counting requests for the metrics), the
// event recorder, the node controller, the pod controller and the metrics listener.
import type { Server } from 'node:http';
import type { Logger } from '../log/logger.ts';
import type { ConnectionLimits } from '../net/connection-guard.ts';
import { readFile } from 'node:fs/promises';
import type { CciClient } from '../cci/client.ts';
import { startNodeNetworking, type NodeNetworking } from '../network/node-networking.ts';
import type { ProxyMode } from '../network/sidecar-injection.ts';
import { errorReason } from '../kube/errors.ts';
import { UsageError } from '../flags/flags.ts';
import { errorMessage } from '../log/error-message.ts';
import { cciKubeletBackend, type PodSource } from './kubelet-backend.ts';
import { KubeletAuth } from '../provider/kubelet/auth.ts';
import { kubeReviewClient } from '../provider/kubelet/reviews.ts';
import { startKubeletServer, type KubeletServer } from '../provider/kubelet/server.ts';
import { selfSignedServingCert } from '../provider/kubelet/serving-cert.ts';
import { EventRecorder } from '../provider/events.ts';
import type { Pod } from '../kube/wire.ts';
import { KubeClient, loadKubeConfig } from '../kube/client.ts';
import { serveMetrics, type Registry } from '../provider/metrics.ts';
import { nodeMetrics, resourceOf } from './metrics.ts';
import type { NodeConfig } from '../provider/node/node-object.ts';
import { cciNodeProvider } from './node.ts';
import type { CciProviderOptions } from './provider.ts';
import { CciNamespaceView } from './namespace-view.ts';
import { startNodeInstance, type NodeInstance, type NodeTimings, type SharedNodeParts } from './node-instance.ts';
import { ZoneNodes } from './zone-nodes.ts';
import { startPolicy, type PolicyService } from '../policy/service.ts';
import { LeaderElector, type LeaderElectionConfig } from '../kube/leader-election.ts';
import type { WebhookIdentity } from '../policy/webhook/certificate.ts';

export interface VirtualNodeOptions extends NodeTimings {
  kubeconfig: string;
  cci: CciClient;
  /** The kubelet HTTPS API (logs, exec, attach, port-forward, stats); its port is node.kubeletPort. */
  kubelet: {
    address: string;
    /** PEM files; both empty = a self-signed certificate for the node name and IP. */
    tlsCertFile: string;
    tlsKeyFile: string;
    clientCaFile: string;
    anonymousAuth: boolean;
    webhookTokens: boolean;
  };
  /** Deadlines and the cap on unauthenticated connections, for the kubelet port and the directory's. */
  connectionLimits: ConnectionLimits;
  /** --cluster-id: with the node name, marks the CCI pods this node owns; '' = the kube-system Namespace's uid. */
  clusterId: string;
  /** The node as the flags describe it; CCI is its backend. */
  node: Omit<NodeConfig, 'backend'>;
  translateNode: CciProviderOptions['translateNode'];
  /** --enable-networking: the sidecar injected into every burst pod and the service directory it reads. */
  networking?: { image: string; proxyMode: ProxyMode; directoryAddress: string; directoryService: string; directoryPort: number; directoryTls: boolean };
  /** --leader-elect: replicas elect the one that runs the node; `onLost` hears that this one lost the Lease. */
  leaderElection?: LeaderElectionConfig & { identity: string; onLost: () => void };
  /** Where the zone nodes are declared (CCE's ConfigMap kube-system/bursting-node, --zone-nodes) and their health-check period; undefined = the global node only. */
  zones?: { configMap: { namespace: string; name: string } | undefined; flagZones: Record<string, string>; healthPeriodMs: number };
  /** --webhook-port: the burst policy (webhook on every replica, controllers on the elected one). */
  policy?: { port: number; identity: WebhookIdentity; rebalance: { enabled: boolean; intervalMs: number } };
  metricsAddr: string;
  log: Logger;
}

export interface VirtualNode {
  metricsPort: number | undefined;
  webhookPort: number | undefined;
  /** Settles once this replica runs the node (at once without leader election): its kubelet API port. */
  leading: Promise<{ kubeletPort: number }>;
  stop(): Promise<void>;
}

/** The node's pod and node controllers, its kubelet API and service directory: what only the leader runs. */
interface RunningNode {
  kubeletPort: number;
  stop(): Promise<void>;
}

export async function startVirtualNode(o: VirtualNodeOptions): Promise<VirtualNode> {
  // The metrics read the pod controller, which needs the metrics: tie the knot by reference.
  const instances = new Map<string, NodeInstance>();
  const metrics = nodeMetrics(() => podsByPhase(instances));
  const kube = await KubeClient.create(loadKubeConfig(o.kubeconfig), (method, path, status) => {
    metrics.apiRequests.inc({ verb: method, resource: resourceOf(path), code: String(status) });
  });
  metrics.registry.gauge('burstlet_node_leader', 'Whether this replica runs the node (1) or waits to take over (0)', () => [[{}, instances.size > 0 ? 1 : 0]]);
  let metricsServer: { server: Server; port: number } | undefined;
  if (o.metricsAddr !== '') metricsServer = await serveMetrics(metrics.registry, o.metricsAddr);
  // Every replica serves the webhook; the policy elects its own controllers' runner.
  const policy = o.policy ? await startNodePolicy(o, kube, metrics.registry) : undefined;

  let running: Promise<RunningNode> | undefined;
  const run = (): Promise<RunningNode> => (running ??= runNode(o, kube, metrics, instances));
  let elector: LeaderElector | undefined;
  let stopping = false;
  let leading: Promise<{ kubeletPort: number }>;
  if (!o.leaderElection) {
    leading = Promise.resolve({ kubeletPort: (await run()).kubeletPort });
  } else {
    const e = o.leaderElection;
    leading = new Promise((resolve, reject) => {
      elector = new LeaderElector({
        kube, namespace: e.namespace, name: e.name, identity: e.identity,
        leaseDurationSeconds: e.leaseDurationSeconds, renewDeadlineMs: e.renewDeadlineMs, retryMs: e.retryMs,
        log: o.log.child({ component: 'leader-election' }),
        onStartedLeading: () => run().then((r) => resolve({ kubeletPort: r.kubeletPort }), reject),
        // Controllers once stopped are not restarted in this process: a replica that lost the Lease
        // stops writing at once and exits, to come back as a standby (kube-controller-manager's way).
        onStoppedLeading: () => {
          if (stopping) return;
          void running?.then((r) => r.stop()).finally(() => e.onLost());
        },
      });
      elector.start();
    });
  }
  return {
    metricsPort: metricsServer?.port,
    webhookPort: policy?.webhookPort,
    leading,
    async stop() {
      // Controllers first: nothing new starts while the listeners close; then the Lease goes to a standby.
      stopping = true;
      await policy?.stop();
      await (await running)?.stop();
      await elector?.stop();
      metricsServer?.server.close();
      await kube.close();
    },
  };
}

async function runNode(o: VirtualNodeOptions, kube: KubeClient, metrics: ReturnType<typeof nodeMetrics>, instances: Map<string, NodeInstance>): Promise<RunningNode> {
  const tls = await kubeletServingCert(o);
  const allPods = (): Pod[] => [...instances.values()].flatMap((n) => n.pods.pods());
  const networking = o.networking
    ? await startNodeNetworking({
      client: kube,
      log: o.log.child({ component: 'service-directory' }),
      nodeName: o.node.name,
      image: o.networking.image,
      proxyMode: o.networking.proxyMode,
      directoryAddress: o.networking.directoryAddress,
      directoryService: o.networking.directoryService,
      transport: o.networking.directoryTls
        ? { kind: 'kubelet-tls', kubeletPort: o.node.kubeletPort, caPem: tls.certPem }
        : { kind: 'plain', listenAddress: o.kubelet.address, port: o.networking.directoryPort, limits: o.connectionLimits },
      isActivePod: (uid) => [...instances.values()].some((n) => n.pods.pods().some((p) => p.metadata?.uid === uid)),
    })
    : undefined;
  const view = new CciNamespaceView({
    cci: o.cci, kube, resyncMs: o.statusResyncMs, log: o.log.child({ component: 'cci-pods' }),
    onError: (err) => metrics.cciErrors.inc({ operation: 'list/watch', reason: errorReason(err) }),
  });
  await view.start();
  const shared: SharedNodeParts = {
    kube, cci: o.cci, view, metrics, networking,
    clusterId: await clusterIdentity(kube, o.clusterId),
    translateNode: o.translateNode,
    podSyncWorkers: o.podSyncWorkers,
    eventQps: o.eventQps,
    eventBurst: o.eventBurst,
    statusResyncMs: o.statusResyncMs,
    nodeStatusUpdateMs: o.nodeStatusUpdateMs,
    nodeStatusReportMs: o.nodeStatusReportMs,
    leaseRenewMs: o.leaseRenewMs,
    leaseDurationSeconds: o.leaseDurationSeconds,
    log: o.log,
  };
  // One kubelet API for every node of the process: they share its address and port.
  const kubelet = await startKubelet(o, tls, kube, {
    pods: allPods,
    findPod: (ns, name) => {
      for (const n of instances.values()) {
        const pod = n.pods.findPod(ns, name);
        if (pod) return pod;
      }
      return undefined;
    },
  }, networking);
  const global = await startNodeInstance(shared, { config: o.node, room: (ourPods, onError) => cciNodeProvider(o.cci, ourPods, onError) });
  instances.set(global.name, global);
  const zones = o.zones ? new ZoneNodes({ shared, global: o.node, globalNode: global, instances, ...o.zones }) : undefined;
  await zones?.start();
  let stopped: Promise<void> | undefined;
  return {
    kubeletPort: kubelet.port,
    stop: () => (stopped ??= (async () => {
      await zones?.stop();
      await Promise.all([...instances.values()].map((n) => n.stop()));
      view.stop();
      await kubelet.close();
      await networking?.stop();
    })()),
  };
}

/** The burst policy with its own event source and its metrics in the node's registry. */
async function startNodePolicy(o: VirtualNodeOptions, kube: KubeClient, registry: Registry): Promise<PolicyService> {
  const p = o.policy!;
  const admissions = registry.summary('burstlet_policy_webhook_duration_seconds', 'Time to answer one admission review');
  const decisions = registry.counter('burstlet_policy_decisions_total', 'Pods admitted, by the burst policy applied (none: left unchanged) and the source that chose it');
  const placements = registry.counter('burstlet_policy_placements_total', 'Gated pods placed by the placement controller, by policy and placement (local, cci, either)');
  const evictions = registry.counter('burstlet_policy_rebalance_evictions_total', 'Evictions by --rebalance, by outcome (evicted, blocked by a PodDisruptionBudget, failed)');
  const ref: { service?: PolicyService } = {};
  registry.gauge('burstlet_policy_pods', 'Pods of burst-policy workloads by location (local: cluster nodes, cci: virtual nodes), counted by the elected replica', () =>
    (ref.service?.podsByLocation() ?? []).flatMap((w) => (['local', 'cci'] as const).map((location): [Record<string, string>, number] => [{ namespace: w.namespace, workload: w.workload, location }, w[location]])));
  registry.gauge('burstlet_policy_leader', 'Whether this replica runs the policy controllers (1) or only serves the webhook (0)', () => [[{}, ref.service?.isLeader() ? 1 : 0]]);
  ref.service = await startPolicy({
    kube,
    webhook: { address: o.kubelet.address, port: p.port, identity: p.identity },
    taints: o.node.taints,
    rebalance: p.rebalance,
    events: new EventRecorder(kube, { component: 'burstlet-policy', host: o.node.name }, o.log.child({ component: 'policy-events' })),
    metrics: {
      admission: (seconds, policy, source) => {
        admissions.observe(seconds);
        decisions.inc({ policy: policy ?? 'none', source: source ?? 'none' });
      },
      placement: (policy, placement) => placements.inc({ policy, placement }),
      eviction: (outcome) => evictions.inc({ outcome }),
    },
    log: o.log.child({ component: 'policy' }),
  });
  return ref.service;
}

/**
 * The cluster's identity for the CCI pods' ownership labels: --cluster-id, else the uid of the
 * kube-system Namespace (what tools commonly take as a cluster's id). Without one, nodes of two
 * clusters sharing a CCI namespace could not tell their pods apart, so burstlet does not start.
 */
async function clusterIdentity(kube: KubeClient, flag: string): Promise<string> {
  if (flag !== '') return flag;
  try {
    const ns = await kube.request<{ metadata?: { uid?: string } }>('GET', '/api/v1/namespaces/kube-system');
    if (ns.metadata?.uid) return ns.metadata.uid;
    throw new Error('it has no uid');
  } catch (err) {
    throw new UsageError(
      `burstlet node: cannot tell this cluster's CCI pods from another cluster's: reading the kube-system Namespace's uid failed (${errorMessage(err)}); ` +
      'grant get on namespaces/kube-system (manifests/clusterrole.yaml does) or give --cluster-id=<a label value naming this cluster>',
    );
  }
}

async function kubeletServingCert(o: VirtualNodeOptions): Promise<{ certPem: string; keyPem: string }> {
  const k = o.kubelet;
  if (k.tlsCertFile !== '') return { certPem: await readFile(k.tlsCertFile, 'utf8'), keyPem: await readFile(k.tlsKeyFile, 'utf8') };
  o.log.warn('no --tls-cert-file: the kubelet API serves a self-signed certificate; give it a certificate the API server trusts');
  const addresses = [o.node.nodeIP, ...(o.networking && o.networking.directoryAddress !== o.node.nodeIP ? [o.networking.directoryAddress] : [])];
  return selfSignedServingCert(o.node.name, addresses);
}

/** The pods of every node of the process, by phase (the node metrics' gauge). */
function podsByPhase(instances: Map<string, NodeInstance>): Map<string, number> {
  const out = new Map<string, number>();
  for (const n of instances.values()) for (const [phase, count] of n.pods.podsByPhase()) out.set(phase, (out.get(phase) ?? 0) + count);
  return out;
}

async function startKubelet(
  o: VirtualNodeOptions,
  tls: { certPem: string; keyPem: string },
  kube: KubeClient,
  pods: PodSource,
  networking: NodeNetworking | undefined,
): Promise<KubeletServer> {
  const k = o.kubelet;
  return startKubeletServer({
    nodeName: o.node.name,
    host: k.address,
    port: o.node.kubeletPort,
    tls,
    ...(k.clientCaFile !== '' ? { clientCaPem: await readFile(k.clientCaFile, 'utf8') } : {}),
    auth: new KubeletAuth({ anonymous: k.anonymousAuth, webhookTokens: k.webhookTokens, reviews: kubeReviewClient(kube) }),
    backend: cciKubeletBackend(o.cci, pods),
    ...(networking?.kubeletUpgrade ? { extraUpgrade: networking.kubeletUpgrade } : {}),
    limits: o.connectionLimits,
    log: o.log.child({ component: 'kubelet' }),
  });
}

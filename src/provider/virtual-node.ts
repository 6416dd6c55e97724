// `burstlet node` assembled: the Kubernetes client (counting requests for the metrics), the
// event recorder, the node controller, the pod controller and the metrics listener.
import type { Server } from 'node:http';
import type { Logger } from '../log/logger.ts';
import { readFile } from 'node:fs/promises';
import type { CciClient } from '../cci/client.ts';
import { startNodeNetworking, type NodeNetworking } from '../network/node-networking.ts';
import { cciReason } from './cci-backend.ts';
import { cciKubeletBackend } from './cci-kubelet-backend.ts';
import { KubeletAuth } from './kubelet/auth.ts';
import { kubeReviewClient } from './kubelet/reviews.ts';
import { startKubeletServer, type KubeletServer } from './kubelet/server.ts';
import { selfSignedServingCert } from './kubelet/serving-cert.ts';
import { EventRecorder } from './events.ts';
import { KubeClient, loadKubeConfig } from './kube/client.ts';
import { serveMetrics } from './metrics.ts';
import { nodeMetrics, resourceOf } from './node-metrics.ts';
import { NodeController } from './node/controller.ts';
import type { NodeConfig } from './node/node-object.ts';
import { PodController, type PodControllerOptions } from './pods/controller.ts';
import { startPolicy, type PolicyService } from '../policy/service.ts';
import type { WebhookIdentity } from '../policy/webhook/certificate.ts';
import type { Registry } from './metrics.ts';

export interface VirtualNodeOptions {
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
  node: NodeConfig;
  translateNode: PodControllerOptions['translateNode'];
  /** --enable-networking: the sidecar injected into every burst pod and the service directory it reads. */
  networking?: { image: string; directoryAddress: string; directoryPort: number; directoryTls: boolean };
  /** --webhook-port: the burst policy (webhook on every replica, controllers on the elected one). */
  policy?: { port: number; identity: WebhookIdentity; rebalance: { enabled: boolean; intervalMs: number } };
  podSyncWorkers: number;
  statusResyncMs: number;
  nodeStatusUpdateMs: number;
  nodeStatusReportMs: number;
  leaseRenewMs: number;
  leaseDurationSeconds: number;
  metricsAddr: string;
  log: Logger;
}

export interface VirtualNode {
  metricsPort: number | undefined;
  kubeletPort: number;
  webhookPort: number | undefined;
  stop(): Promise<void>;
}

export async function startVirtualNode(o: VirtualNodeOptions): Promise<VirtualNode> {
  // The metrics read the pod controller, which needs the metrics: tie the knot by reference.
  const ref: { pods?: PodController } = {};
  const metrics = nodeMetrics(() => ref.pods?.podsByPhase() ?? new Map());
  const kube = await KubeClient.create(loadKubeConfig(o.kubeconfig), (method, path, status) => {
    metrics.apiRequests.inc({ verb: method, resource: resourceOf(path), code: String(status) });
  });
  let metricsServer: { server: Server; port: number } | undefined;
  if (o.metricsAddr !== '') metricsServer = await serveMetrics(metrics.registry, o.metricsAddr);

  const events = new EventRecorder(kube, o.node.name, o.log.child({ component: 'events' }));
  const tls = await kubeletServingCert(o);
  const networking = o.networking
    ? await startNodeNetworking({
      client: kube,
      log: o.log.child({ component: 'service-directory' }),
      nodeName: o.node.name,
      image: o.networking.image,
      directoryAddress: o.networking.directoryAddress,
      transport: o.networking.directoryTls
        ? { kind: 'kubelet-tls', kubeletPort: o.node.kubeletPort, caPem: tls.certPem }
        : { kind: 'plain', listenAddress: o.kubelet.address, port: o.networking.directoryPort },
      isActivePod: (uid) => ref.pods?.pods().some((p) => p.metadata?.uid === uid) ?? false,
    })
    : undefined;
  const podController = new PodController({
    kube,
    cci: o.cci,
    nodeName: o.node.name,
    nodeIP: o.node.nodeIP,
    translateNode: o.translateNode,
    ...(networking ? { sidecarFor: networking.sidecarFor } : {}),
    workers: o.podSyncWorkers,
    resyncMs: o.statusResyncMs,
    events,
    metrics,
    log: o.log.child({ component: 'pods' }),
  });
  ref.pods = podController;
  const node = new NodeController({
    kube,
    cci: o.cci,
    config: o.node,
    ourPods: () => podController.cciPodCount,
    updateMs: o.nodeStatusUpdateMs,
    reportMs: o.nodeStatusReportMs,
    leaseRenewMs: o.leaseRenewMs,
    leaseDurationSeconds: o.leaseDurationSeconds,
    onCciError: (err) => metrics.cciErrors.inc({ operation: 'quota/network', reason: cciReason(err) }),
    log: o.log.child({ component: 'node' }),
  });
  const kubelet = await startKubelet(o, tls, kube, podController, networking);
  await node.start();
  await podController.start();
  const policy = o.policy ? await startNodePolicy(o, kube, metrics.registry) : undefined;
  o.log.info({ node: o.node.name, metricsPort: metricsServer?.port }, 'virtual node running');
  return {
    metricsPort: metricsServer?.port,
    kubeletPort: kubelet.port,
    webhookPort: policy?.webhookPort,
    async stop() {
      await policy?.stop();
      await kubelet.close();
      await networking?.stop();
      node.stop();
      podController.stop();
      await events.flush();
      metricsServer?.server.close();
      await kube.close();
    },
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
    events: new EventRecorder(kube, o.node.name, o.log.child({ component: 'policy-events' }), 'burstlet-policy'),
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

async function kubeletServingCert(o: VirtualNodeOptions): Promise<{ certPem: string; keyPem: string }> {
  const k = o.kubelet;
  if (k.tlsCertFile !== '') return { certPem: await readFile(k.tlsCertFile, 'utf8'), keyPem: await readFile(k.tlsKeyFile, 'utf8') };
  o.log.warn('no --tls-cert-file: the kubelet API serves a self-signed certificate; give it a certificate the API server trusts');
  const addresses = [o.node.nodeIP, ...(o.networking && o.networking.directoryAddress !== o.node.nodeIP ? [o.networking.directoryAddress] : [])];
  return selfSignedServingCert(o.node.name, addresses);
}

async function startKubelet(
  o: VirtualNodeOptions,
  tls: { certPem: string; keyPem: string },
  kube: KubeClient,
  pods: PodController,
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
    backend: cciKubeletBackend(o.cci, { pods: () => pods.pods(), findPod: (ns, name) => pods.findPod(ns, name) }),
    ...(networking?.kubeletUpgrade ? { extraUpgrade: networking.kubeletUpgrade } : {}),
    log: o.log.child({ component: 'kubelet' }),
  });
}

// `burstlet node` assembled: the Kubernetes client (counting requests for the metrics), the
// event recorder, the node controller, the pod controller and the metrics listener.
import type { Server } from 'node:http';
import type { CciContainer } from '../cci/types.ts';
import type { Logger } from '../log/logger.ts';
import { readFile } from 'node:fs/promises';
import type { CciClient } from '../cci/client.ts';
import { cciReason } from './cci-backend.ts';
import { cciKubeletBackend } from './cci-kubelet-backend.ts';
import { KubeletAuth } from './kubelet/auth.ts';
import { kubeReviewClient } from './kubelet/reviews.ts';
import { startKubeletServer, type KubeletServer } from './kubelet/server.ts';
import { selfSignedServingCert } from './kubelet/serving-cert.ts';
import { EventRecorder } from './events.ts';
import { KubeClient, loadKubeConfig } from './kube/client.ts';
import type { Pod } from './kube/wire.ts';
import { serveMetrics } from './metrics.ts';
import { nodeMetrics, resourceOf } from './node-metrics.ts';
import { NodeController } from './node/controller.ts';
import type { NodeConfig } from './node/node-object.ts';
import { PodController, type PodControllerOptions } from './pods/controller.ts';

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
  /** The networking sidecar for a pod, when networking is enabled (see src/network/sidecar-injection.ts). */
  sidecarFor?: (pod: Pod) => CciContainer | undefined;
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
  const podController = new PodController({
    kube,
    cci: o.cci,
    nodeName: o.node.name,
    nodeIP: o.node.nodeIP,
    translateNode: o.translateNode,
    ...(o.sidecarFor ? { sidecarFor: o.sidecarFor } : {}),
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
  const kubelet = await startKubelet(o, kube, podController);
  await node.start();
  await podController.start();
  o.log.info({ node: o.node.name, metricsPort: metricsServer?.port }, 'virtual node running');
  return {
    metricsPort: metricsServer?.port,
    kubeletPort: kubelet.port,
    async stop() {
      await kubelet.close();
      node.stop();
      podController.stop();
      await events.flush();
      metricsServer?.server.close();
      await kube.close();
    },
  };
}

async function startKubelet(o: VirtualNodeOptions, kube: KubeClient, pods: PodController): Promise<KubeletServer> {
  const k = o.kubelet;
  const tls = k.tlsCertFile !== ''
    ? { certPem: await readFile(k.tlsCertFile, 'utf8'), keyPem: await readFile(k.tlsKeyFile, 'utf8') }
    : await selfSignedServingCert(o.node.name, [o.node.nodeIP]);
  return startKubeletServer({
    nodeName: o.node.name,
    host: k.address,
    port: o.node.kubeletPort,
    tls,
    ...(k.clientCaFile !== '' ? { clientCaPem: await readFile(k.clientCaFile, 'utf8') } : {}),
    auth: new KubeletAuth({ anonymous: k.anonymousAuth, webhookTokens: k.webhookTokens, reviews: kubeReviewClient(kube) }),
    backend: cciKubeletBackend(o.cci, { pods: () => pods.pods(), findPod: (ns, name) => pods.findPod(ns, name) }),
    log: o.log.child({ component: 'kubelet' }),
  });
}

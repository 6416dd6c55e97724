// One virtual node of the process (the global node or a zone's): its Node object and heartbeat,
// its pods on CCI (provider and pod controller) and its events. What nodes share — the
// Kubernetes client, the CCI namespace's view, the kubelet API, the service directory — is
// given.
import type { CciClient } from '../cci/client.ts';
import type { KubeClient } from '../kube/client.ts';
import { errorReason } from '../kube/errors.ts';
import type { Logger } from '../log/logger.ts';
import { readSidecarError } from '../network/sidecar-diagnosis.ts';
import type { NodeNetworking } from '../network/node-networking.ts';
import { EventRecorder } from '../provider/events.ts';
import { NodeController, type NodeProvider } from '../provider/node/controller.ts';
import type { NodeConfig } from '../provider/node/node-object.ts';
import { PodController } from '../provider/pods/controller.ts';
import { kubePodApi } from '../provider/pods/pod-api.ts';
import type { nodeMetrics } from './metrics.ts';
import type { CciNamespaceView } from './namespace-view.ts';
import { CCI_NODE_BACKEND } from './node.ts';
import { CciProvider, type CciProviderOptions } from './provider.ts';

/** The kubelet-style periods and worker counts every node of the process runs with (the flags). */
export interface NodeTimings {
  podSyncWorkers: number;
  statusResyncMs: number;
  nodeStatusUpdateMs: number;
  nodeStatusReportMs: number;
  leaseRenewMs: number;
  leaseDurationSeconds: number;
  /** The kubelet's eventRecordQPS and eventBurst: event writes a second (0 = no limit) and at once. */
  eventQps: number;
  eventBurst: number;
}

export interface SharedNodeParts extends NodeTimings {
  kube: KubeClient;
  cci: CciClient;
  view: CciNamespaceView;
  clusterId: string;
  metrics: ReturnType<typeof nodeMetrics>;
  networking: NodeNetworking | undefined;
  /** The translation settings of every node; the node's name is put in. */
  translateNode: CciProviderOptions['translateNode'];
  log: Logger;
}

export interface NodeInstance {
  name: string;
  pods: PodController;
  events: EventRecorder;
  stop(): Promise<void>;
}

export interface NodeInstanceSpec {
  config: Omit<NodeConfig, 'backend'>;
  /** The CCI Network this node's pods take IPs from when they do not choose one; undefined = the namespace's default. */
  defaultNetwork?: string;
  /** The node's room, given the number of CCI pods it runs. */
  room: (ourPods: () => number, onError: (err: unknown) => void) => NodeProvider;
}

export async function startNodeInstance(shared: SharedNodeParts, spec: NodeInstanceSpec): Promise<NodeInstance> {
  const { kube, metrics, networking } = shared;
  const name = spec.config.name;
  const log = shared.log.child({ node: name });
  const events = new EventRecorder(kube, { component: 'kubelet', host: name }, log.child({ component: 'events' }), Date.now, { qps: shared.eventQps, burst: shared.eventBurst });
  const podLog = log.child({ component: 'pods' });
  const provider = new CciProvider({
    cci: shared.cci,
    kube,
    view: shared.view,
    clusterId: shared.clusterId,
    nodeName: name,
    nodeIP: spec.config.nodeIP,
    translateNode: { ...shared.translateNode, name },
    ...(spec.defaultNetwork ? { defaultNetwork: spec.defaultNetwork } : {}),
    ...(networking ? { sidecarFor: networking.sidecarFor, sidecarError: (cciName: string) => readSidecarError(shared.cci, cciName) } : {}),
    events,
    metrics,
    log: podLog,
  });
  const pods = new PodController({
    api: kubePodApi(kube, name),
    provider,
    nodeName: name,
    nodeIP: spec.config.nodeIP,
    workers: shared.podSyncWorkers,
    ...(networking ? { onPodGone: (uid: string) => networking.directory.podGone(uid) } : {}),
    resyncMs: shared.statusResyncMs,
    events,
    syncDuration: metrics.podSync,
    statusWait: metrics.statusWait,
    statusWrite: metrics.statusWrite,
    log: podLog,
  });
  const node = new NodeController({
    kube,
    provider: spec.room(() => provider.podCount, (err) => metrics.cciErrors.inc({ operation: 'quota/network', reason: errorReason(err) })),
    config: { ...spec.config, backend: CCI_NODE_BACKEND },
    updateMs: shared.nodeStatusUpdateMs,
    reportMs: shared.nodeStatusReportMs,
    leaseRenewMs: shared.leaseRenewMs,
    leaseDurationSeconds: shared.leaseDurationSeconds,
    log: log.child({ component: 'node' }),
    events,
  });
  await node.start();
  await pods.start();
  log.info('virtual node running');
  return {
    name,
    pods,
    events,
    async stop() {
      node.stop();
      pods.stop();
      await events.flush();
    },
  };
}

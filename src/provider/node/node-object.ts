// The virtual Node as pure functions: its registration object (labels, taints) and its status
// (capacity as the provider reports it, conditions, addresses, nodeInfo). The controller only
// does the I/O.
import { canonical } from '../../kube/canonical.ts';
import type { Node, NodeStatus, Wire } from '../../kube/wire.ts';
import type { V1NodeCondition, V1Taint } from '@kubernetes/client-node';

export const BURSTLET_VERSION = '0.1.0';
/** The Kubernetes minor burstlet behaves as, tagged so that `kubectl get nodes -o wide` tells it is burstlet. */
export const KUBELET_VERSION = `v1.33.0-burstlet-${BURSTLET_VERSION}`;

export type Taint = Wire<V1Taint>;
type NodeCondition = Wire<V1NodeCondition>;

/** What runs the node's pods, as the Node shows it. */
export interface NodeBackend {
  /** Its name in condition reasons and messages, e.g. "CCI". */
  name: string;
  /** The virtual-kubelet.io/provider label, e.g. "cci". */
  provider: string;
  osImage: string;
  containerRuntimeVersion: string;
}

export interface NodeConfig {
  name: string;
  backend: NodeBackend;
  /** Extra labels (--node-labels), applied over the defaults. */
  labels: Record<string, string>;
  /**
   * The virtual node's own labels (type=virtual-kubelet, kubernetes.io/role=agent,
   * virtual-kubelet.io/provider=cci); false (--virtual-node-labels=false) leaves an ordinary
   * node's labels only, as the local environment's stand-in cluster node. Default true.
   */
  virtualLabels?: boolean;
  taints: Taint[];
  zone: string;
  nodeIP: string;
  /**
   * A resolvable host name for the node's address list, or "". The API server dials the first
   * address type it prefers, Hostname before InternalIP by default, so a name nobody can
   * resolve (a virtual node's) would break logs and exec: it is only listed when given.
   */
  hostname: string;
  kubeletPort: number;
}

export function nodeLabels(cfg: NodeConfig): Record<string, string> {
  const virtual = cfg.virtualLabels ?? true;
  return {
    ...(virtual ? { type: 'virtual-kubelet', 'kubernetes.io/role': 'agent' } : {}),
    'kubernetes.io/hostname': cfg.name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    ...(virtual ? { 'virtual-kubelet.io/provider': cfg.backend.provider } : {}),
    ...(cfg.zone ? { 'topology.kubernetes.io/zone': cfg.zone } : {}),
    ...cfg.labels,
  };
}

/** The Node as first registered. */
export function nodeObject(cfg: NodeConfig): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: cfg.name, labels: nodeLabels(cfg) },
    spec: { taints: cfg.taints },
  };
}

/** The node's room for pods, as the provider reports it. */
export interface NodeResources {
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
  /** Conditions only the provider can judge (the CCI subnet running short of IPs), after the kubelet's. */
  conditions?: ProviderCondition[];
  /** The node should take no new pods (its zone failed a health check): cordoned until this goes away. */
  cordon?: { reason: string; message: string };
}

/** Marks a cordon burstlet set (its reason), so that it lifts its own and never an operator's. */
export const CORDONED_BY_ANNOTATION = 'burstlet.io/cordoned';

export interface ProviderCondition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
}

export type BackendHealth = { reachable: true } | { reachable: false; message: string };

function condition(type: string, healthy: boolean, reason: string, message: string, previous: NodeCondition[] | undefined, now: string, trueMeansHealthy: boolean): NodeCondition {
  const status = healthy === trueMeansHealthy ? 'True' : 'False';
  const before = previous?.find((c) => c.type === type);
  return {
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: before && before.status === status ? (before.lastTransitionTime ?? now) : now,
  };
}

export function nodeConditions(backend: string, health: BackendHealth, previous: NodeCondition[] | undefined, now: string): NodeCondition[] {
  const ok = health.reachable;
  const unreachable = `${backend}Unreachable`;
  return [
    condition('Ready', ok, ok ? 'KubeletReady' : unreachable, ok ? `burstlet is ready and ${backend} is reachable` : `${backend} is unreachable: ${health.message}`, previous, now, true),
    condition('MemoryPressure', true, 'KubeletHasSufficientMemory', `${backend} manages memory per pod`, previous, now, false),
    condition('DiskPressure', true, 'KubeletHasNoDiskPressure', `${backend} manages disk per pod`, previous, now, false),
    condition('PIDPressure', true, 'KubeletHasSufficientPID', `${backend} manages PIDs per pod`, previous, now, false),
    condition('NetworkUnavailable', ok, ok ? `${backend}NetworkReady` : unreachable, ok ? `pods get IPs from the ${backend} subnet` : `the ${backend} network cannot be read`, previous, now, false),
  ];
}

/**
 * The node's whole status. While the backend is unreachable the last known capacity is kept (so
 * running pods are not evicted for "no room"); only the conditions change.
 */
export function nodeStatus(cfg: NodeConfig, room: NodeResources | undefined, health: BackendHealth, previous: NodeStatus | undefined, now: string): NodeStatus {
  const resources = room ?? { capacity: previous?.capacity ?? { pods: '0' }, allocatable: previous?.allocatable ?? { pods: '0' } };
  const standard = nodeConditions(cfg.backend.name, health, previous?.conditions, now);
  // Unreachable: the provider's own conditions stay as last judged.
  const own = room
    ? (room.conditions ?? []).map((c) => condition(c.type, c.status === 'True', c.reason, c.message, previous?.conditions, now, true))
    : (previous?.conditions ?? []).filter((c) => !standard.some((k) => k.type === c.type));
  return {
    capacity: resources.capacity,
    allocatable: resources.allocatable,
    conditions: [...standard, ...own],
    addresses: [{ type: 'InternalIP', address: cfg.nodeIP }, ...(cfg.hostname ? [{ type: 'Hostname', address: cfg.hostname }] : [])],
    daemonEndpoints: { kubeletEndpoint: { Port: cfg.kubeletPort } },
    nodeInfo: {
      machineID: '',
      systemUUID: '',
      bootID: '',
      kernelVersion: '',
      osImage: cfg.backend.osImage,
      containerRuntimeVersion: cfg.backend.containerRuntimeVersion,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: 'amd64',
    },
  };
}

/** True when `next` differs from `current` in anything but heartbeat times. */
export function nodeStatusChanged(current: NodeStatus | undefined, next: NodeStatus): boolean {
  const strip = (s: NodeStatus | undefined): string =>
    canonical({
      capacity: s?.capacity,
      allocatable: s?.allocatable,
      conditions: s?.conditions?.map((c) => ({ ...c, lastHeartbeatTime: undefined })),
      addresses: s?.addresses,
      daemonEndpoints: s?.daemonEndpoints,
      nodeInfo: s?.nodeInfo,
    });
  return strip(current) !== strip(next);
}

/** Parses one --node-taints element, "key=value:Effect" or "key:Effect". */
export function parseTaint(raw: string): Taint {
  const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(raw);
  if (!m) throw new Error(`${JSON.stringify(raw)} is not key=value:Effect with Effect NoSchedule, PreferNoSchedule or NoExecute`);
  return { key: m[1]!, ...(m[2] ? { value: m[2] } : {}), effect: m[3]! };
}

// The virtual Node as pure functions: its registration object (labels, taints) and its status
// (capacity from the CCI quota and subnet, conditions, addresses, nodeInfo). The controller
// only does the I/O.
import type { CciNetwork, CciQuota } from '../../cci/types.ts';
import { canonical } from '../kube/canonical.ts';
import type { Node, NodeStatus, Wire } from '../kube/wire.ts';
import type { V1NodeCondition, V1Taint } from '@kubernetes/client-node';

export const BURSTLET_VERSION = '0.1.0';
/** The Kubernetes minor burstlet behaves as, tagged so that `kubectl get nodes -o wide` tells it is burstlet. */
export const KUBELET_VERSION = `v1.33.0-burstlet-${BURSTLET_VERSION}`;

export const DEFAULT_TAINT: Taint = { key: 'virtual-kubelet.io/provider', value: 'cci', effect: 'NoSchedule' };

export type Taint = Wire<V1Taint>;
type NodeCondition = Wire<V1NodeCondition>;

export interface NodeConfig {
  name: string;
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
    ...(virtual ? { 'virtual-kubelet.io/provider': 'cci' } : {}),
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

/** What the backend tells about room for pods. `ourPods` = CCI pods this node runs now. */
export interface BackendRoom {
  quota: CciQuota;
  network: CciNetwork;
  ourPods: number;
}

const RESOURCES = ['cpu', 'memory', 'ephemeral-storage'] as const;

/**
 * Capacity is the CCI namespace's hard quota (the namespace is assumed dedicated to this node,
 * so allocatable = capacity for cpu, memory and ephemeral-storage). `pods` is the smallest of
 * the quota's pods and the IPs this node can still use (free IPs plus those its pods hold), so
 * the scheduler stops placing pods before CCI would refuse them.
 */
export function nodeResources(room: BackendRoom): { capacity: Record<string, string>; allocatable: Record<string, string> } {
  const hard = room.quota.status.hard;
  const capacity: Record<string, string> = {};
  for (const r of RESOURCES) if (hard[r] !== undefined) capacity[r] = hard[r];
  const quotaPods = hard.pods !== undefined ? Number(hard.pods) : Infinity;
  const ipPods = room.network.status.freeIPs + room.ourPods;
  const pods = Math.max(0, Math.min(quotaPods, ipPods));
  capacity.pods = String(Number.isFinite(pods) ? pods : 0);
  return { capacity, allocatable: { ...capacity } };
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

export function nodeConditions(health: BackendHealth, previous: NodeCondition[] | undefined, now: string): NodeCondition[] {
  const ok = health.reachable;
  return [
    condition('Ready', ok, ok ? 'KubeletReady' : 'CCIUnreachable', ok ? 'burstlet is ready and CCI is reachable' : `CCI is unreachable: ${health.message}`, previous, now, true),
    condition('MemoryPressure', true, 'KubeletHasSufficientMemory', 'CCI manages memory per pod', previous, now, false),
    condition('DiskPressure', true, 'KubeletHasNoDiskPressure', 'CCI manages disk per pod', previous, now, false),
    condition('PIDPressure', true, 'KubeletHasSufficientPID', 'CCI manages PIDs per pod', previous, now, false),
    condition('NetworkUnavailable', ok, ok ? 'CCINetworkReady' : 'CCIUnreachable', ok ? 'pods get IPs from the CCI subnet' : 'the CCI network cannot be read', previous, now, false),
  ];
}

/**
 * The node's whole status. While CCI is unreachable the last known capacity is kept (so
 * running pods are not evicted for "no room"); only the conditions change.
 */
export function nodeStatus(cfg: NodeConfig, room: BackendRoom | undefined, health: BackendHealth, previous: NodeStatus | undefined, now: string): NodeStatus {
  const resources = room ? nodeResources(room) : { capacity: previous?.capacity ?? { pods: '0' }, allocatable: previous?.allocatable ?? { pods: '0' } };
  return {
    ...resources,
    conditions: nodeConditions(health, previous?.conditions, now),
    addresses: [{ type: 'InternalIP', address: cfg.nodeIP }, ...(cfg.hostname ? [{ type: 'Hostname', address: cfg.hostname }] : [])],
    daemonEndpoints: { kubeletEndpoint: { Port: cfg.kubeletPort } },
    nodeInfo: {
      machineID: '',
      systemUUID: '',
      bootID: '',
      kernelVersion: '',
      osImage: 'CCI (serverless containers)',
      containerRuntimeVersion: 'cci://2.0',
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

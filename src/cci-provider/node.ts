// The virtual node as CCI shows it: capacity from the CCI namespace's quota and its subnet's
// free IPs, and how the Node names CCI.
import type { CciNetwork, CciQuota } from '../cci/types.ts';
import { cidrsOverlap, parseCidr } from '../net/cidr.ts';
import type { NodeProvider } from '../provider/node/controller.ts';
import type { NodeBackend, NodeResources, ProviderCondition, Taint } from '../provider/node/node-object.ts';
import type { CciPodsBackend } from './cci-backend.ts';

export const CCI_NODE_BACKEND: NodeBackend = {
  name: 'CCI',
  provider: 'cci',
  osImage: 'CCI (serverless containers)',
  containerRuntimeVersion: 'cci://2.0',
};

export const DEFAULT_TAINT: Taint = { key: 'virtual-kubelet.io/provider', value: 'cci', effect: 'NoSchedule' };

/** What CCI tells about room for pods. `ourPods` = CCI pods this node runs now. */
export interface CciRoom {
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
export function nodeResources(room: CciRoom): NodeResources {
  const hard = room.quota.status.hard;
  const capacity: Record<string, string> = {};
  for (const r of RESOURCES) if (hard[r] !== undefined) capacity[r] = hard[r];
  const quotaPods = hard.pods !== undefined ? Number(hard.pods) : Infinity;
  const ipPods = room.network.status.freeIPs + room.ourPods;
  const pods = Math.max(0, Math.min(quotaPods, ipPods));
  capacity.pods = String(Number.isFinite(pods) ? pods : 0);
  return { capacity, allocatable: { ...capacity }, conditions: [subnetIPsCondition(room)] };
}

/** The node condition that says the subnet runs short of IPs. */
export const SUBNET_IPS_LOW = 'burstlet.io/SubnetIPsLow';

/**
 * True when the subnet has fewer free IPs than twice the pods using it — the margin CCE's
 * networking advice keeps so a rolling update (old and new pods at once) still gets IPs.
 */
export function subnetIPsCondition(room: CciRoom): ProviderCondition {
  const { freeIPs } = room.network.status;
  const cidr = room.network.spec.cidr;
  const low = freeIPs < 2 * room.ourPods;
  return low
    ? { type: SUBNET_IPS_LOW, status: 'True', reason: 'SubnetIPsLow', message: `subnet ${cidr} has ${freeIPs} free IPs for ${room.ourPods} pods: fewer than twice as many, so a rolling update may find no IP; use a larger subnet or fewer pods on this node` }
    : { type: SUBNET_IPS_LOW, status: 'False', reason: 'SubnetIPsSufficient', message: `subnet ${cidr} has ${freeIPs} free IPs for ${room.ourPods} pods` };
}

/** The node's room from CCI's quota and network; `onError` hears a failed probe (the CCI error metric). */
export function cciNodeProvider(cci: Pick<CciPodsBackend, 'quota' | 'network'>, ourPods: () => number, onError: (err: unknown) => void): NodeProvider {
  return {
    async resources() {
      try {
        const [quota, network] = await Promise.all([cci.quota(), cci.network()]);
        return nodeResources({ quota, network, ourPods: ourPods() });
      } catch (err) {
        onError(err);
        throw err;
      }
    },
  };
}

/** The cluster's own address ranges, by the flag that gave them. */
export interface ClusterRanges {
  'service-cluster-ip-range': readonly string[];
  'cluster-cidr': readonly string[];
}

/**
 * Why the CCI subnet cannot serve this cluster, or undefined: a pod IP inside the Service range
 * or the cluster's pod range would be routed to a Service or another node's pod instead (and
 * CCE refuses such a subnet for the same reason).
 */
export function subnetOverlap(network: CciNetwork, ranges: ClusterRanges): string | undefined {
  const subnet = parseCidr(network.spec.cidr);
  for (const [flag, cidrs] of Object.entries(ranges) as [keyof ClusterRanges, readonly string[]][]) {
    const hit = cidrs.find((c) => cidrsOverlap(subnet, parseCidr(c)));
    if (hit) {
      return `the CCI subnet ${subnet.cidr} (Network ${network.metadata.name}) overlaps --${flag}=${hit}: pods there would get addresses the cluster routes elsewhere; give the CCI namespace a subnet outside ${hit}`;
    }
  }
  return undefined;
}

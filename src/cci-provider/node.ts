// The virtual node as CCI shows it: capacity from the CCI namespace's quota and its subnet's
// free IPs, and how the Node names CCI.
import type { CciNetwork, CciQuota } from '../cci/types.ts';
import { systemClock, type Clock } from '../kube/clock.ts';
import { parseQuantity } from '../kube/quantity.ts';
import { errorMessage } from '../log/error-message.ts';
import type { ZoneNodeSpec } from './zone-config.ts';
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

/** The node condition that says a zone node's AZ failed its health check. */
export const ZONE_UNAVAILABLE = 'burstlet.io/ZoneUnavailable';

/** What a zone node's health check found wrong with its Networks, or undefined when they serve. */
export function zoneProblem(zone: ZoneNodeSpec, networks: readonly CciNetwork[]): string | undefined {
  const names = zone.networks.length > 0 ? zone.networks : networks.slice(0, 1).map((n) => n.metadata.name);
  if (names.length === 0) return 'the CCI namespace has no Network';
  for (const name of names) {
    const network = networks.find((n) => n.metadata.name === name);
    if (!network) return `Network ${name} does not exist in the CCI namespace (it has ${networks.map((n) => n.metadata.name).join(', ') || 'none'})`;
    const phase = network.status.phase ?? 'Active';
    if (phase !== 'Active') return `Network ${name} (${network.spec.cidr}) is ${phase}`;
  }
  return undefined;
}

/** The smaller of two quantities (the zone's configured room and the namespace's quota). */
function smaller(a: string, b: string | undefined): string {
  if (b === undefined) return a;
  return parseQuantity(a).milli <= parseQuantity(b).milli ? a : b;
}

/**
 * A zone node's room: cpu and memory as the ConfigMap sizes it (within the namespace's quota),
 * pods bounded by its own Networks' free IPs; and its AZ's health, judged every `healthPeriodMs`
 * (the first judgement at once): a Network missing, unavailable or unreadable makes the node
 * unschedulable, with the ZoneUnavailable condition, until a later check finds it serving again.
 */
export function zoneNodeProvider(
  cci: Pick<CciPodsBackend, 'quota' | 'networks'>,
  zone: ZoneNodeSpec,
  ourPods: () => number,
  onError: (err: unknown) => void,
  healthPeriodMs: number,
  clock: Clock = systemClock,
): NodeProvider {
  let verdict: { problem: string | undefined; at: number } | undefined;
  return {
    async resources() {
      let quota: CciQuota;
      try {
        quota = await cci.quota();
      } catch (err) {
        onError(err);
        throw err;
      }
      let networks: CciNetwork[] = [];
      let problem: string | undefined;
      try {
        networks = await cci.networks();
        problem = zoneProblem(zone, networks);
      } catch (err) {
        onError(err);
        problem = `the CCI Networks cannot be read: ${errorMessage(err)}`;
      }
      if (!verdict || clock.now() - verdict.at >= healthPeriodMs) verdict = { problem, at: clock.now() };
      const names = zone.networks.length > 0 ? zone.networks : networks.slice(0, 1).map((n) => n.metadata.name);
      const mine = networks.filter((n) => names.includes(n.metadata.name) && (n.status.phase ?? 'Active') === 'Active');
      const network = mine[0] ?? networks[0];
      const freeIPs = mine.reduce((sum, n) => sum + n.status.freeIPs, 0);
      const room = network
        ? nodeResources({ quota, network: { ...network, status: { ...network.status, freeIPs } }, ourPods: ourPods() })
        : { capacity: { pods: '0' }, allocatable: { pods: '0' } };
      const hard = quota.status.hard;
      room.capacity.cpu = smaller(zone.cpu, hard.cpu);
      room.capacity.memory = smaller(zone.memory, hard.memory);
      const down = verdict.problem;
      return {
        ...room,
        allocatable: { ...room.capacity },
        conditions: [
          ...(room.conditions ?? []),
          down === undefined
            ? { type: ZONE_UNAVAILABLE, status: 'False', reason: 'ZoneAvailable', message: `zone ${zone.zone}'s CCI Networks serve` }
            : { type: ZONE_UNAVAILABLE, status: 'True', reason: 'ZoneUnavailable', message: `zone ${zone.zone} failed its health check: ${down}; the node takes no new pods until it passes` },
        ],
        ...(down === undefined ? {} : { cordon: { reason: 'ZoneUnavailable', message: down } }),
      };
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

/**
 * Why the CCI namespace's Networks cannot serve this cluster, or undefined: one overlapping the
 * cluster's ranges, or — with the networking sidecar — one of a shared VPC, where CCE does not
 * support Service access for burst pods.
 */
export function unusableNetwork(networks: readonly CciNetwork[], ranges: ClusterRanges, networking: boolean): string | undefined {
  for (const network of networks) {
    const overlap = subnetOverlap(network, ranges);
    if (overlap) return overlap;
    if (networking && network.spec.sharedVpc) {
      return `the CCI subnet ${network.spec.cidr} (Network ${network.metadata.name}) belongs to a shared VPC: --enable-networking is not supported there (as CCE documents); use a Network of the CCI namespace's own VPC, or run without --enable-networking`;
    }
  }
  return undefined;
}

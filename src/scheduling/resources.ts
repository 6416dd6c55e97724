// Resource arithmetic the way kube-scheduler's NodeResourcesFit sees it: a pod's effective
// request, a node's allocatable, and what the pods already bound to it use up.
import type { V1Container, V1Node, V1Pod } from '@kubernetes/client-node';
import { cpuMillis, memoryBytes } from '../kube/quantity.ts';

/** Resource name → amount: millicores for `cpu`, whole units (bytes, counts) for the rest. */
export type Resources = Map<string, bigint>;

type QuantityMap = { [name: string]: string } | undefined;

/** kube-scheduler compares CPU by MilliValue() and everything else by Value(). */
export function amount(name: string, raw: string): bigint {
  return name === 'cpu' ? cpuMillis(raw) : memoryBytes(raw);
}

function toResources(map: QuantityMap): Resources {
  const out: Resources = new Map();
  for (const [name, raw] of Object.entries(map ?? {})) out.set(name, amount(name, raw));
  return out;
}

function add(into: Resources, more: Resources): void {
  for (const [name, value] of more) into.set(name, (into.get(name) ?? 0n) + value);
}

function maxInto(into: Resources, other: Resources): void {
  for (const [name, value] of other) if (value > (into.get(name) ?? 0n)) into.set(name, value);
}

/** What scoring assumes for a container that requests no cpu or memory (schedutil defaults). */
const NON_ZERO_DEFAULTS: ReadonlyArray<[string, bigint]> = [
  ['cpu', 100n],
  ['memory', 200n * 1024n * 1024n],
];

/** A container's requests; a resource with only a limit requests the limit (API defaulting). */
function containerRequests(container: V1Container, nonZero: boolean): Resources {
  const requests = toResources(container.resources?.requests);
  for (const [name, value] of toResources(container.resources?.limits)) {
    if (!requests.has(name)) requests.set(name, value);
  }
  if (nonZero) for (const [name, value] of NON_ZERO_DEFAULTS) if (!requests.has(name)) requests.set(name, value);
  return requests;
}

/**
 * The pod's effective request: max(sum of app containers + sidecars, each regular init
 * container + the sidecars started before it) + overhead. Sidecars are init containers
 * with restartPolicy Always; they keep running beside the app containers. With `nonZero`,
 * containers without a cpu/memory request count as 100m/200Mi, as scoring does.
 */
export function podRequests(pod: V1Pod, { nonZero = false } = {}): Resources {
  const total: Resources = new Map();
  for (const c of pod.spec?.containers ?? []) add(total, containerRequests(c, nonZero));
  const sidecars: Resources = new Map();
  const initPeak: Resources = new Map();
  for (const c of pod.spec?.initContainers ?? []) {
    const requests = containerRequests(c, nonZero);
    if (c.restartPolicy === 'Always') {
      add(sidecars, requests);
      continue;
    }
    const during: Resources = new Map(sidecars);
    add(during, requests);
    maxInto(initPeak, during);
  }
  add(total, sidecars);
  maxInto(total, initPeak);
  add(total, toResources(pod.spec?.overhead));
  return total;
}

/** The node's allocatable (capacity when allocatable is absent). */
export function nodeAllocatable(node: V1Node): Resources {
  return toResources(node.status?.allocatable ?? node.status?.capacity);
}

/** A pod that is bound and not finished holds its requests on the node. */
export function holdsResources(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return Boolean(pod.spec?.nodeName) && phase !== 'Succeeded' && phase !== 'Failed';
}

/** What the pods on a node use up: exact requests (plus the `pods` count) and, for scoring, non-zero ones. */
export interface Usage {
  requested: Resources;
  nonZero: Resources;
}

// Pods from a watch cache are replaced, never mutated, so their requests can be remembered:
// subtracting a pod later takes away exactly what adding it put in.
const memo = { exact: new WeakMap<V1Pod, Resources>(), nonZero: new WeakMap<V1Pod, Resources>() };

function rememberedRequests(pod: V1Pod, nonZero: boolean): Resources {
  const cache = nonZero ? memo.nonZero : memo.exact;
  let requests = cache.get(pod);
  if (!requests) cache.set(pod, (requests = podRequests(pod, { nonZero })));
  return requests;
}

function addScaled(into: Resources, more: Resources, sign: bigint): void {
  for (const [name, value] of more) into.set(name, (into.get(name) ?? 0n) + sign * value);
}

/** Adds (sign 1n) or removes (sign -1n) a pod's requests to a node's usage, in place. */
export function addPodUsage(usage: Usage, pod: V1Pod, sign: 1n | -1n = 1n): void {
  addScaled(usage.requested, rememberedRequests(pod, false), sign);
  addScaled(usage.nonZero, rememberedRequests(pod, true), sign);
  usage.requested.set('pods', (usage.requested.get('pods') ?? 0n) + sign);
}

export function copyUsage(usage: Usage): Usage {
  return { requested: new Map(usage.requested), nonZero: new Map(usage.nonZero) };
}

/** The usage of a set of pods, summed from scratch. */
export function usageOf(pods: readonly V1Pod[]): Usage {
  const usage: Usage = { requested: new Map([['pods', 0n]]), nonZero: new Map() };
  for (const pod of pods) addPodUsage(usage, pod);
  return usage;
}

// kube-scheduler's Filter plugins, in its default order; a node is rejected by the first
// plugin that fails, with that plugin's reasons (the strings `kubectl describe` shows).
import type { V1Node, V1Pod, V1Taint } from '@kubernetes/client-node';
import { requiredAffinityMatches, toleratedBy } from './affinity.ts';
import { nodeAllocatable, type Resources, type Usage } from './resources.ts';

/** A node with what the pods holding resources on it (bound, not finished) use up. */
export interface NodeInfo {
  node: V1Node;
  usage: Usage;
}

export interface Rejection {
  reasons: string[];
  /** Whether evicting pods could help (resource fit) — decides the preemption wording. */
  resolvable: boolean;
}

const NO_SCHEDULE_EFFECTS = new Set(['NoSchedule', 'NoExecute']);
const NOT_READY = 'node.kubernetes.io/not-ready';
const UNREACHABLE = 'node.kubernetes.io/unreachable';

/**
 * The node's taints, plus the NoSchedule taint the node-lifecycle controller would add when the
 * Ready condition is not True (the local control plane has no such controller).
 */
export function effectiveTaints(node: V1Node): V1Taint[] {
  const taints = [...(node.spec?.taints ?? [])];
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  if (ready === 'True') return taints;
  const key = ready === 'Unknown' ? UNREACHABLE : NOT_READY;
  if (!taints.some((t) => t.key === key && t.effect === 'NoSchedule')) taints.push({ key, effect: 'NoSchedule' });
  return taints;
}

function unresolvable(reason: string): Rejection {
  return { reasons: [reason], resolvable: false };
}

function nodeUnschedulable(pod: V1Pod, { node }: NodeInfo): Rejection | undefined {
  if (!node.spec?.unschedulable) return undefined;
  const taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };
  return toleratedBy(pod.spec?.tolerations ?? [], taint) ? undefined : unresolvable('node(s) were unschedulable');
}

function nodeName(pod: V1Pod, { node }: NodeInfo): Rejection | undefined {
  const wanted = pod.spec?.nodeName;
  return wanted && wanted !== node.metadata?.name ? unresolvable("node(s) didn't match the requested node name") : undefined;
}

function taintToleration(pod: V1Pod, { node }: NodeInfo): Rejection | undefined {
  const tolerations = pod.spec?.tolerations ?? [];
  const taint = effectiveTaints(node).find((t) => NO_SCHEDULE_EFFECTS.has(t.effect) && !toleratedBy(tolerations, t));
  return taint ? unresolvable(`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`) : undefined;
}

function nodeAffinity(pod: V1Pod, { node }: NodeInfo): Rejection | undefined {
  return requiredAffinityMatches(pod, node) ? undefined : unresolvable("node(s) didn't match Pod's node affinity/selector");
}

/** kube-scheduler checks cpu, memory, ephemeral-storage, then extended resources. */
const NATIVE_ORDER = ['cpu', 'memory', 'ephemeral-storage'];
function checkOrder(name: string): number {
  const i = NATIVE_ORDER.indexOf(name);
  return i === -1 ? NATIVE_ORDER.length : i;
}

function resourcesFit(request: Resources, info: NodeInfo): Rejection | undefined {
  const allocatable = nodeAllocatable(info.node);
  const used = info.usage.requested;
  const reasons: string[] = [];
  if ((used.get('pods') ?? 0n) + 1n > (allocatable.get('pods') ?? 0n)) reasons.push('Too many pods');
  for (const [name, wanted] of [...request].sort(([a], [b]) => checkOrder(a) - checkOrder(b) || a.localeCompare(b))) {
    if (wanted <= 0n || name === 'pods') continue;
    const free = (allocatable.get(name) ?? 0n) - (used.get(name) ?? 0n);
    if (wanted > free) reasons.push(`Insufficient ${name}`);
  }
  return reasons.length > 0 ? { reasons, resolvable: true } : undefined;
}

/** Runs the filters on one node; undefined when the pod fits there. */
export function filterNode(pod: V1Pod, request: Resources, info: NodeInfo): Rejection | undefined {
  return (
    nodeUnschedulable(pod, info) ??
    nodeName(pod, info) ??
    taintToleration(pod, info) ??
    nodeAffinity(pod, info) ??
    resourcesFit(request, info)
  );
}

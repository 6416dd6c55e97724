// The cluster as the policy controllers count it, fed by the pod and node informers: which nodes
// are virtual, what the bound pods use up on each cluster node (for fit), and each policy
// workload's pods by location. A placement decision reserves its pod at once (synchronously,
// before its patch is sent), and the reservation counts until the informer shows the pod placed,
// bound, or gone: decisions that follow each other faster than the watch never see a stale count.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { Node, Pod } from '../kube/wire.ts';
import { ClusterState } from '../scheduling/cluster-state.ts';
import type { NodeInfo } from '../scheduling/filters.ts';
import { appliedPolicyOf, VIRTUAL_NODE_LABEL, type AppliedPolicy } from './mutation.ts';
import { PLACEMENT_ANNOTATION, type Placement } from './placement/decide.ts';

export type Location = 'local' | 'cci';

/** The scheduling helpers take client-node's model types; the informers hold the same JSON. */
export const asModelPod = (pod: Pod): V1Pod => pod as unknown as V1Pod;
const asModelNode = (node: Node): V1Node => node as unknown as V1Node;

export function isVirtualNode(node: Node | undefined): boolean {
  return node?.metadata?.labels?.[VIRTUAL_NODE_LABEL.key] === VIRTUAL_NODE_LABEL.value;
}

interface Entry {
  pod: Pod;
  applied: AppliedPolicy | undefined;
  workload: string | undefined;
}

const finished = (pod: Pod): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

/** The workload key counting is done by: its uid, or the pod's own for a bare pod. */
export function workloadKeyOf(pod: Pod, applied: AppliedPolicy | undefined): string | undefined {
  if (!applied) return undefined;
  return applied.workloadUid ?? `pod:${pod.metadata?.uid ?? `${pod.metadata?.namespace}/${pod.metadata?.name}`}`;
}

export class PodLedger {
  readonly #state = new ClusterState();
  readonly #nodes = new Map<string, Node>();
  readonly #pods = new Map<string, Entry>();
  /** Workload key → keys of its pods (policy pods only). */
  readonly #byWorkload = new Map<string, Set<string>>();
  /** Pod key → the location a decision reserved, until the informer shows it. */
  readonly #reserved = new Map<string, { workload: string; location: Location }>();

  setNode(name: string, node: Node | undefined): void {
    if (node) this.#nodes.set(name, node);
    else this.#nodes.delete(name);
    this.#state.setNode(name, node ? asModelNode(node) : undefined);
  }

  node(name: string): Node | undefined {
    return this.#nodes.get(name);
  }

  nodes(): IterableIterator<Node> {
    return this.#nodes.values();
  }

  setPod(key: string, pod: Pod | undefined): void {
    this.#state.setPod(key, pod ? asModelPod(pod) : undefined);
    const before = this.#pods.get(key);
    if (before?.workload) this.#byWorkload.get(before.workload)?.delete(key);
    if (!pod) {
      this.#pods.delete(key);
      this.#reserved.delete(key);
      return;
    }
    const applied = appliedPolicyOf(pod);
    const workload = workloadKeyOf(pod, applied);
    this.#pods.set(key, { pod, applied, workload });
    if (workload) {
      let set = this.#byWorkload.get(workload);
      if (!set) this.#byWorkload.set(workload, (set = new Set()));
      set.add(key);
    }
    if (pod.spec?.nodeName || pod.metadata?.annotations?.[PLACEMENT_ANNOTATION]) this.#reserved.delete(key);
    if (before?.workload && before.workload !== workload && this.#byWorkload.get(before.workload)?.size === 0) this.#byWorkload.delete(before.workload);
  }

  pod(key: string): Pod | undefined {
    return this.#pods.get(key)?.pod;
  }

  applied(key: string): AppliedPolicy | undefined {
    return this.#pods.get(key)?.applied;
  }

  /** Where a pod is or is headed: bound, else as placed, else as reserved; undefined while undecided. */
  locationOf(key: string): Location | undefined {
    const entry = this.#pods.get(key);
    if (!entry || finished(entry.pod)) return undefined;
    const nodeName = entry.pod.spec?.nodeName;
    if (nodeName) return isVirtualNode(this.#nodes.get(nodeName)) ? 'cci' : 'local';
    const placed = entry.pod.metadata?.annotations?.[PLACEMENT_ANNOTATION] as Placement | undefined;
    // An `either` pod may still land on a cluster node: it counts there until it is bound.
    if (placed === 'local' || placed === 'either') return 'local';
    if (placed === 'cci') return 'cci';
    return this.#reserved.get(key)?.location;
  }

  workloadPods(workload: string): string[] {
    return [...(this.#byWorkload.get(workload) ?? [])];
  }

  workloads(): IterableIterator<string> {
    return this.#byWorkload.keys();
  }

  /** The workload's pods on cluster nodes or headed there. */
  localCount(workload: string): number {
    let n = 0;
    for (const key of this.#byWorkload.get(workload) ?? []) if (this.locationOf(key) === 'local') n++;
    return n;
  }

  /** Records a decision before its patch is sent; `node` is the cluster node it was fitted to. */
  reserve(key: string, workload: string, location: Location, node?: string): void {
    this.#reserved.set(key, { workload, location });
    const pod = this.#pods.get(key)?.pod;
    if (node && pod) this.#state.assume(key, asModelPod(pod), node);
  }

  /** Decided, and not yet shown placed by the informer. */
  isReserved(key: string): boolean {
    return this.#reserved.has(key);
  }

  /** Takes back a decision whose patch failed. */
  release(key: string): void {
    this.#reserved.delete(key);
    this.#state.forget(key);
  }

  /** Cluster (non-virtual) nodes with what bound and reserved pods use up on each. */
  clusterNodeInfos(): NodeInfo[] {
    return this.#state.nodeInfos().filter((info) => !isVirtualNode(this.#nodes.get(info.node.metadata?.name ?? '') ));
  }

  /** Per policy workload: its pods on cluster nodes and on virtual nodes (for the metrics). */
  countsByWorkload(): { namespace: string; workload: string; local: number; cci: number }[] {
    const out = [];
    for (const [workload, keys] of this.#byWorkload) {
      let local = 0;
      let cci = 0;
      let entry: Entry | undefined;
      for (const key of keys) {
        entry ??= this.#pods.get(key);
        const where = this.locationOf(key);
        if (where === 'local') local++;
        else if (where === 'cci') cci++;
      }
      const name = entry?.applied?.workload ?? `Pod/${entry?.pod.metadata?.name ?? workload}`;
      out.push({ namespace: entry?.pod.metadata?.namespace ?? '', workload: name, local, cci });
    }
    return out;
  }

  allPods(): IterableIterator<[string, Pod]> {
    const entries = this.#pods.entries();
    return (function* () {
      for (const [k, e] of entries) yield [k, e.pod] as [string, Pod];
    })();
  }
}

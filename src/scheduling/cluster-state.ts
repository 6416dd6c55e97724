// The scheduler's view of the cluster: nodes, what the pods holding resources on each use
// up (kept as running totals, so a decision costs O(nodes) however many pods there are), and
// pods it has just bound ("assumed") whose binding the watch has not shown yet — counting
// those is what stops two quick decisions from overcommitting the same node.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { NodeInfo } from './filters.ts';
import { addPodUsage, copyUsage, holdsResources, usageOf, type Usage } from './resources.ts';

export class ClusterState {
  readonly #nodes = new Map<string, V1Node>();
  readonly #usage = new Map<string, Usage>();
  /** Pods counted in `#usage`: key → the pod object that was added (to subtract it exactly). */
  readonly #counted = new Map<string, V1Pod>();
  readonly #assumed = new Map<string, V1Pod>();

  setNode(name: string, node: V1Node | undefined): void {
    if (node) this.#nodes.set(name, node);
    else this.#nodes.delete(name);
  }

  /** Records a pod as the watch shows it (undefined: deleted). */
  setPod(key: string, pod: V1Pod | undefined): void {
    const before = this.#counted.get(key);
    if (before) {
      addPodUsage(this.#usageOf(before.spec!.nodeName!), before, -1n);
      this.#counted.delete(key);
    }
    if (!pod || pod.spec?.nodeName) this.#assumed.delete(key);
    if (!pod || !holdsResources(pod)) return;
    addPodUsage(this.#usageOf(pod.spec!.nodeName!), pod);
    this.#counted.set(key, pod);
  }

  /** Counts `pod` on `nodeName` until the watch reports it bound, or `forget` is called. */
  assume(key: string, pod: V1Pod, nodeName: string): void {
    this.#assumed.set(key, { ...pod, spec: { ...pod.spec!, nodeName } });
  }

  forget(key: string): void {
    this.#assumed.delete(key);
  }

  isAssumed(key: string): boolean {
    return this.#assumed.has(key);
  }

  nodeInfos(): NodeInfo[] {
    const infos = new Map<string, NodeInfo>();
    for (const [name, node] of this.#nodes) infos.set(name, { node, usage: this.#usageOf(name) });
    for (const pod of this.#assumed.values()) {
      const info = infos.get(pod.spec!.nodeName!);
      if (!info) continue;
      // Copy before adding: the running totals only ever reflect what the watch showed.
      if (info.usage === this.#usage.get(pod.spec!.nodeName!)) info.usage = copyUsage(info.usage);
      addPodUsage(info.usage, pod);
    }
    return [...infos.values()];
  }

  #usageOf(nodeName: string): Usage {
    let usage = this.#usage.get(nodeName);
    if (!usage) this.#usage.set(nodeName, (usage = usageOf([])));
    return usage;
  }
}

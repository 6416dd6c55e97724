// The scheduler's view of the cluster: nodes, the pods holding resources on each, and pods
// it has just bound ("assumed") whose binding the watch has not shown yet — counting those
// is what stops two quick decisions from overcommitting the same node.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { NodeInfo } from './filters.ts';
import { holdsResources } from './resources.ts';

export class ClusterState {
  readonly #nodes = new Map<string, V1Node>();
  readonly #podsByNode = new Map<string, Map<string, V1Pod>>();
  readonly #nodeOfPod = new Map<string, string>();
  readonly #assumed = new Map<string, V1Pod>();

  setNode(name: string, node: V1Node | undefined): void {
    if (node) this.#nodes.set(name, node);
    else this.#nodes.delete(name);
  }

  /** Records a pod as the watch shows it (undefined: deleted). */
  setPod(key: string, pod: V1Pod | undefined): void {
    const before = this.#nodeOfPod.get(key);
    if (before !== undefined) {
      this.#podsByNode.get(before)?.delete(key);
      this.#nodeOfPod.delete(key);
    }
    if (!pod || pod.spec?.nodeName) this.#assumed.delete(key);
    if (!pod || !holdsResources(pod)) return;
    const node = pod.spec!.nodeName!;
    let pods = this.#podsByNode.get(node);
    if (!pods) this.#podsByNode.set(node, (pods = new Map()));
    pods.set(key, pod);
    this.#nodeOfPod.set(key, node);
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
    const infos = new Map<string, NodeInfo & { pods: V1Pod[] }>();
    for (const [name, node] of this.#nodes) infos.set(name, { node, pods: [...(this.#podsByNode.get(name)?.values() ?? [])] });
    for (const pod of this.#assumed.values()) infos.get(pod.spec!.nodeName!)?.pods.push(pod);
    return [...infos.values()];
  }
}

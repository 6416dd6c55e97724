// The local environment says it is ready only once the scheduler may place pods on its nodes. A
// node's registration is not enough: kube-apiserver's TaintNodesByCondition admission gives every
// new Node the not-ready NoSchedule taint, and kube-controller-manager removes it only when its
// node lifecycle controller next sees the node Ready (up to its monitor period later). Pods
// created in between cannot land there, and the burst policy's localPrefer sends them to CCI.
import { KubeClient, loadKubeConfig } from '../kube/client.ts';
import { isNotFound } from '../kube/errors.ts';
import type { Node } from '../kube/wire.ts';

/** Taints Kubernetes sets from node conditions: while present, the node is not yet (or no longer) usable. */
const CONDITION_TAINTS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

/** Why the scheduler cannot place pods on `node` yet, or undefined when it can. */
export function notSchedulableBecause(node: Node | undefined): string | undefined {
  if (!node) return 'not registered';
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') return `Ready is ${ready?.status ?? 'not reported'}`;
  if (node.spec?.unschedulable) return 'cordoned (spec.unschedulable)';
  const taints = (node.spec?.taints ?? []).filter((t) => CONDITION_TAINTS.includes(t.key));
  return taints.length > 0 ? `tainted ${taints.map((t) => `${t.key}:${t.effect}`).join(', ')}` : undefined;
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
}

/** Resolves once every named node is schedulable; rejects after `timeoutMs` naming each node that is not, and why. */
export async function waitForSchedulableNodes(adminKubeconfig: string, names: readonly string[], o: WaitOptions): Promise<void> {
  const client = await KubeClient.create(loadKubeConfig(adminKubeconfig));
  try {
    const deadline = performance.now() + o.timeoutMs;
    for (;;) {
      const why = new Map<string, string>();
      for (const name of names) {
        const node = await client.request<Node>('GET', `/api/v1/nodes/${encodeURIComponent(name)}`).catch((err: unknown) => {
          if (isNotFound(err)) return undefined;
          throw err;
        });
        const reason = notSchedulableBecause(node);
        if (reason) why.set(name, reason);
      }
      if (why.size === 0) return;
      if (performance.now() > deadline) {
        throw new Error(`nodes not schedulable after ${Math.round(o.timeoutMs / 1000)} s: ${[...why].map(([n, r]) => `${n} ${r}`).join('; ')} (see the nodes' logs above, and kube-controller-manager's)`);
      }
      await new Promise((resolve) => setTimeout(resolve, o.intervalMs ?? 100));
    }
  } finally {
    await client.close();
  }
}

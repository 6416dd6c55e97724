// Burst pods go first on scale-in: burstlet sets controller.kubernetes.io/pod-deletion-cost on
// the pods running on virtual nodes (a ReplicaSet scaling down deletes lower-cost pods first),
// from the ScheduleProfile's cci scaleDownPriority (cost = −priority), else one below the default
// cost of 0 that local pods have. A cost the user set stays theirs: burstlet only writes one on a
// pod without any, or over the one its own webhook set at admission.
import type { Logger } from '../log/logger.ts';
import type { KubeClient } from '../kube/client.ts';
import type { Pod } from '../kube/wire.ts';
import { DELETION_COST_ANNOTATION, type AppliedPolicy } from './mutation.ts';
import { errorMessage } from '../log/error-message.ts';

/** The cost of a burst pod without a profile: below local pods' default 0. */
export const DEFAULT_CCI_COST = -1;

/** The cost to write on a pod running on a virtual node, or undefined to leave it as it is. */
export function burstDeletionCost(pod: Pod, applied: AppliedPolicy | undefined): string | undefined {
  const current = pod.metadata?.annotations?.[DELETION_COST_ANNOTATION];
  const ours = current === undefined || applied?.applied.includes('deletionCost') === true;
  if (!ours) return undefined;
  const want = String(applied?.deletionCost?.cci ?? DEFAULT_CCI_COST);
  return current === want ? undefined : want;
}

/** Writes the cost on burst pods as the ledger reports them (leader only). */
export class DeletionCostWriter {
  readonly #kube: Pick<KubeClient, 'request'>;
  readonly #log: Logger;
  /** Pod uid → the cost written, so that the watch's echo of a write is not written again. */
  readonly #written = new Map<string, string>();

  constructor(kube: Pick<KubeClient, 'request'>, log: Logger) {
    this.#kube = kube;
    this.#log = log;
  }

  /** Called for a pod bound to a virtual node. */
  async burstPod(pod: Pod, applied: AppliedPolicy | undefined): Promise<void> {
    const cost = burstDeletionCost(pod, applied);
    const uid = pod.metadata?.uid ?? '';
    if (cost === undefined || this.#written.get(uid) === cost || pod.metadata?.deletionTimestamp) return;
    this.#written.set(uid, cost);
    if (this.#written.size > 50_000) this.#written.clear();
    const { namespace, name } = pod.metadata ?? {};
    try {
      await this.#kube.request('PATCH', `/api/v1/namespaces/${namespace}/pods/${name}`, {
        body: { metadata: { annotations: { [DELETION_COST_ANNOTATION]: cost } } },
        contentType: 'application/merge-patch+json',
      });
    } catch (err) {
      this.#written.delete(uid);
      this.#log.debug({ pod: `${namespace}/${name}`, err: errorMessage(err) }, 'pod-deletion-cost not written');
    }
  }

  forget(uid: string): void {
    this.#written.delete(uid);
  }
}

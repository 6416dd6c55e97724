// The placement controller (leader only): every pod carrying burstlet's scheduling gate is decided
// local or CCI and released to the scheduler. Decisions for one workload are made one after the
// other in a single synchronous pass, each reserving its pod in the ledger before the next is
// made, so a ReplicaSet creating 50 pods at once can never get more than maxNum placed locally;
// the patches are then sent, each conditional on the pod's resourceVersion. A failed patch takes
// its reservation back and the workload is decided again.
import type { Logger } from '../../log/logger.ts';
import type { KubeClient } from '../../kube/client.ts';
import type { Pod } from '../../kube/wire.ts';
import { WorkQueue } from '../../kube/workqueue.ts';
import { schedule } from '../../scheduling/schedule.ts';
import type { EventSink } from '../events.ts';
import { requirementFor, withRequired } from '../mutation.ts';
import { asModelPod, workloadKeyOf, type PodLedger } from '../pod-ledger.ts';
import { decidePlacement, isGatedByUs, placementPatch, type Placement, type PlacementChoice } from './decide.ts';
import { errorMessage } from '../../log/error-message.ts';
import { isConflict, isNotFound } from '../../kube/errors.ts';

export interface PlacementControllerOptions {
  kube: Pick<KubeClient, 'request'>;
  ledger: PodLedger;
  events: EventSink;
  onPlacement?: (policy: string, placement: Placement) => void;
  /** Patches sent at once for one workload. */
  concurrency?: number;
  log: Logger;
}

/** A pod that changed under its decision is decided again after this (the informer catches up first). */
const STALE_RETRY_MS = 250;

const byAge = (a: Pod, b: Pod): number => {
  const ta = a.metadata?.creationTimestamp ?? '';
  const tb = b.metadata?.creationTimestamp ?? '';
  return ta === tb ? (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '') : ta < tb ? -1 : 1;
};

export class PlacementController {
  readonly #o: PlacementControllerOptions;
  readonly #queue: WorkQueue;

  constructor(o: PlacementControllerOptions) {
    this.#o = o;
    this.#queue = new WorkQueue((workload) => this.#place(workload), {
      workers: 4,
      onError: (key, err, delayMs) => o.log.warn({ workload: key, err: errorMessage(err), retryInMs: delayMs }, 'placement failed; retrying'),
    });
  }

  /** Called for every pod change once the ledger has it. */
  podChanged(key: string, pod: Pod | undefined): void {
    if (!pod || !isGatedByUs(pod) || pod.metadata?.deletionTimestamp) return;
    const ledger = this.#o.ledger;
    const workload = workloadKeyOf(pod, ledger.applied(key));
    if (workload) this.#queue.add(workload);
    else this.#queue.add(`pod:${key}`);
  }

  /** Decides every gated pod known now (after the informers' first lists). */
  resync(): void {
    for (const [key, pod] of this.#o.ledger.allPods()) this.podChanged(key, pod);
  }

  stop(): void {
    this.#queue.shutdown();
  }

  idle(): Promise<void> {
    return this.#queue.idle();
  }

  /**
   * The undecided gated pods of one workload, oldest first. A decided pod stays reserved (and is
   * skipped) until the informer shows its patch: the watch lags the patch's answer, and deciding
   * it again from its stale version would only lose to a conflict.
   */
  #gated(workload: string): [string, Pod][] {
    const ledger = this.#o.ledger;
    const keys = workload.startsWith('pod:') && ledger.pod(workload.slice(4)) ? [workload.slice(4)] : ledger.workloadPods(workload);
    return keys
      .map((k) => [k, ledger.pod(k)] as [string, Pod | undefined])
      .filter((e): e is [string, Pod] => e[1] !== undefined && isGatedByUs(e[1]) && !e[1].metadata?.deletionTimestamp && !ledger.isReserved(e[0]))
      .sort((a, b) => byAge(a[1], b[1]));
  }

  /** Decides and reserves one pod, synchronously. */
  #decide(key: string, pod: Pod, workload: string): PlacementChoice & { node?: string } {
    const ledger = this.#o.ledger;
    const applied = ledger.applied(key);
    const policy = applied?.policy ?? 'localPrefer';
    const narrowed = { ...pod, spec: { ...pod.spec!, affinity: withRequired(pod.spec?.affinity, requirementFor('local')) } } as Pod;
    const fit = policy === 'localPrefer' ? schedule(asModelPod(narrowed), ledger.clusterNodeInfos()) : { unschedulable: 'not checked' };
    const choice = decidePlacement({ policy, maxLocal: applied?.maxLocal, localCount: ledger.localCount(workload), fit });
    const node = choice.placement === 'local' && 'node' in fit ? fit.node : undefined;
    ledger.reserve(key, workload, choice.placement === 'cci' ? 'cci' : 'local', node);
    return { ...choice, ...(node ? { node } : {}) };
  }

  async #place(workload: string): Promise<void> {
    const decided = this.#gated(workload).map(([key, pod]) => ({ key, pod, choice: this.#decide(key, pod, workload) }));
    let failed = 0;
    let stale = false;
    const send = async ({ key, pod, choice }: (typeof decided)[number]): Promise<void> => {
      const ns = pod.metadata?.namespace ?? '';
      const name = pod.metadata?.name ?? '';
      try {
        await this.#o.kube.request('PATCH', `/api/v1/namespaces/${ns}/pods/${name}`, { body: placementPatch(pod, choice.placement), contentType: 'application/merge-patch+json' });
        this.#o.onPlacement?.(this.#o.ledger.applied(key)?.policy ?? 'unknown', choice.placement);
        const uid = pod.metadata?.uid ?? '';
        const where = { local: 'on a cluster node', cci: 'on CCI (a virtual node)', either: 'where the scheduler scores best' }[choice.placement];
        this.#o.events.record({ kind: 'Pod', namespace: ns, name, uid }, 'Normal', 'BurstPlacement', `placed ${where}: ${choice.reason}`);
      } catch (err) {
        this.#o.ledger.release(key);
        // Gone, or changed since the decision: the informer brings the new state and decides again.
        if (isNotFound(err) || isConflict(err)) stale = true;
        else failed++;
        this.#o.log.debug({ pod: `${ns}/${name}`, err: errorMessage(err) }, 'placement patch failed');
      }
    };
    const concurrency = this.#o.concurrency ?? 8;
    for (let i = 0; i < decided.length; i += concurrency) await Promise.all(decided.slice(i, i + concurrency).map(send));
    if (failed > 0) throw new Error(`${failed} placement patch(es) failed`);
    // Pods that changed under a decision are decided again once the informer has their new version.
    if (stale) this.#queue.addAfter(workload, STALE_RETRY_MS);
  }
}

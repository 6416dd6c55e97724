// Moving burst pods home (--rebalance, leader only): when a cluster node has room again, a burst
// pod of a localPrefer or auto workload is evicted through the Eviction API (so the API server
// holds PodDisruptionBudgets) and its controller's replacement is placed locally by the same
// rules as any new pod. One pod at a time, at most one per interval, and only from a workload
// whose every replica is ready; the next of the same workload waits until the replacement is
// ready. Jobs and bare pods are never moved (nothing would recreate them the same way).
import type { Logger } from '../log/logger.ts';
import type { KubeClient } from '../kube/client.ts';
import type { Pod } from '../kube/wire.ts';
import { schedule } from '../scheduling/schedule.ts';
import type { Clock } from '../kube/clock.ts';
import type { EventSink } from './events.ts';
import { requirementFor, withoutRequired, withRequired, type AppliedPolicy } from './mutation.ts';
import { asModelPod, type PodLedger } from './pod-ledger.ts';
import type { WorkloadRecord } from './workloads.ts';
import { errorMessage } from '../log/error-message.ts';
import { isTooManyRequests } from '../kube/errors.ts';

const MOVABLE_KINDS = new Set(['Deployment', 'ReplicaSet', 'StatefulSet']);

export interface BurstPod {
  key: string;
  pod: Pod;
  applied: AppliedPolicy;
}

export interface RebalanceInputs {
  /** Pods running on virtual nodes, with their applied policy. */
  burstPods: readonly BurstPod[];
  workload(uid: string): WorkloadRecord | undefined;
  /** Workloads with an eviction whose replacement is not ready yet. */
  awaiting: ReadonlySet<string>;
  localCount(workloadUid: string): number;
  /** The cluster node that fits the pod now, if any. */
  fits(pod: Pod): { node: string } | undefined;
}

export type RebalanceStep = { evict: BurstPod; node: string; workload: WorkloadRecord } | { none: string };

const isReady = (pod: Pod): boolean => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** The next pod to move home, oldest first, or why there is none. */
export function nextEviction(i: RebalanceInputs): RebalanceStep {
  const reasons = new Set<string>();
  const sorted = [...i.burstPods].sort((a, b) => (a.pod.metadata?.creationTimestamp ?? '').localeCompare(b.pod.metadata?.creationTimestamp ?? ''));
  for (const c of sorted) {
    const { policy, workloadUid, maxLocal } = c.applied;
    if (policy !== 'localPrefer' && policy !== 'auto') continue;
    if (c.pod.metadata?.deletionTimestamp || !isReady(c.pod)) continue;
    const w = workloadUid ? i.workload(workloadUid) : undefined;
    if (!w || !MOVABLE_KINDS.has(w.kind) || w.replicas === undefined) {
      reasons.add('no movable workload');
      continue;
    }
    if (i.awaiting.has(w.uid)) {
      reasons.add(`${w.kind}/${w.name}: the last pod moved is not replaced yet`);
      continue;
    }
    if ((w.readyReplicas ?? 0) < w.replicas) {
      reasons.add(`${w.kind}/${w.name}: ${w.readyReplicas ?? 0} of ${w.replicas} replicas ready`);
      continue;
    }
    if (maxLocal !== undefined && i.localCount(w.uid) >= maxLocal) continue;
    const fit = i.fits(c.pod);
    if (!fit) {
      reasons.add('no cluster node has room');
      continue;
    }
    return { evict: c, node: fit.node, workload: w };
  }
  return { none: reasons.size > 0 ? [...reasons].join('; ') : 'no burst pod to move' };
}

export interface RebalancerOptions {
  kube: Pick<KubeClient, 'request'>;
  ledger: PodLedger;
  workload(uid: string): WorkloadRecord | undefined;
  burstPods(): BurstPod[];
  events: EventSink;
  intervalMs: number;
  clock: Clock;
  onEviction?: (outcome: 'evicted' | 'blocked' | 'failed') => void;
  log: Logger;
}

export class Rebalancer {
  readonly #o: RebalancerOptions;
  /** Workload uid → the pod evicted from it, until it is gone and the workload is ready again. */
  readonly #awaiting = new Map<string, string>();
  #cancel: (() => void) | undefined;
  #stopped = false;

  constructor(o: RebalancerOptions) {
    this.#o = o;
  }

  start(): void {
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    this.#cancel?.();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#cancel = this.#o.clock.after(this.#o.intervalMs, () => {
      this.tick().finally(() => this.#schedule());
    });
  }

  /** One step: settles finished moves, then evicts at most one pod. */
  async tick(): Promise<RebalanceStep> {
    const { ledger, log } = this.#o;
    for (const [uid, podKey] of this.#awaiting) {
      const w = this.#o.workload(uid);
      if (!ledger.pod(podKey) && w && (w.readyReplicas ?? 0) >= (w.replicas ?? 0)) this.#awaiting.delete(uid);
    }
    const step = nextEviction({
      burstPods: this.#o.burstPods(),
      workload: this.#o.workload,
      awaiting: new Set(this.#awaiting.keys()),
      localCount: (uid) => ledger.localCount(uid),
      fits: (pod) => {
        // The pod as its replacement will be: not bound, without the narrowing to virtual nodes its
        // placement added, and narrowed to cluster nodes instead.
        const asCreated = withoutRequired(pod.spec?.affinity, requirementFor('cci'));
        const narrowed = { ...pod, spec: { ...pod.spec!, nodeName: undefined, affinity: withRequired(asCreated, requirementFor('local')) } } as Pod;
        const d = schedule(asModelPod(narrowed), ledger.clusterNodeInfos());
        return 'node' in d ? d : undefined;
      },
    });
    if ('none' in step) {
      log.debug({ reason: step.none }, 'rebalance: nothing to move');
      return step;
    }
    const { namespace = '', name = '', uid = '' } = step.evict.pod.metadata ?? {};
    try {
      await this.#o.kube.request('POST', `/api/v1/namespaces/${namespace}/pods/${name}/eviction`, {
        body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } },
      });
    } catch (err) {
      // 429: a PodDisruptionBudget does not allow it now.
      const blocked = isTooManyRequests(err);
      this.#o.onEviction?.(blocked ? 'blocked' : 'failed');
      log.info({ pod: `${namespace}/${name}`, err: errorMessage(err) }, blocked ? 'rebalance: eviction refused by a PodDisruptionBudget' : 'rebalance: eviction failed');
      return { none: blocked ? 'a PodDisruptionBudget refused the eviction' : `eviction failed: ${errorMessage(err)}` };
    }
    this.#awaiting.set(step.workload.uid, step.evict.key);
    this.#o.onEviction?.('evicted');
    const w = step.workload;
    this.#o.events.record({ kind: 'Pod', namespace, name, uid }, 'Normal', 'BurstRebalance',
      `evicted from CCI to move home: cluster node ${step.node} has room; ${w.kind}/${w.name} had ${w.readyReplicas} of ${w.replicas} replicas ready`);
    return step;
  }
}

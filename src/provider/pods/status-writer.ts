// The pod status manager, as the kubelet's: a pod sync decides what the pod's status should
// be and hands it over here; the API writes happen in a work queue of their own. A sync
// worker thus never waits on a status round trip: with 1,000 pods bound at once, status
// PATCHes took two thirds of the sync workers' time and the CCI creations of later pods
// queued behind them (bound → Running was almost all queue wait). Per pod, writes are
// serialized and coalesced: only the newest desired status is written, so a pod that went
// Pending → Running before its first write was taken costs one write.
import { systemClock, type Clock } from '../../kube/clock.ts';
import type { PodStatus } from '../../kube/wire.ts';
import { WorkQueue, type WorkQueueOptions } from '../../kube/workqueue.ts';

export interface DesiredStatus {
  /** The pod the status was decided for: a new pod of the same name must not get it. */
  uid: string;
  status: PodStatus;
  /** Annotations to add in the same write (the status subresource may write them). */
  annotations: Record<string, string>;
}

/**
 * Writes one desired status of the pod at `key`; throwing retries it after a backoff.
 * `waitedMs`: since the oldest status decided for the pod and not written yet (the status lag
 * burstlet itself adds, for the metrics).
 */
export type StatusWrite = (key: string, desired: DesiredStatus, waitedMs: number) => Promise<void>;

export class StatusWriter {
  readonly #pending = new Map<string, DesiredStatus>();
  /** Per key, when the oldest status not yet written was decided. */
  readonly #since = new Map<string, number>();
  readonly #queue: WorkQueue;
  readonly #clock: Clock;

  constructor(write: StatusWrite, options: Pick<WorkQueueOptions, 'workers' | 'onError' | 'clock'>) {
    this.#clock = options.clock ?? systemClock;
    this.#queue = new WorkQueue(async (key) => {
      const desired = this.#pending.get(key);
      if (!desired) return;
      const since = this.#since.get(key) ?? this.#clock.now();
      // A status set during the write starts its own wait.
      this.#since.delete(key);
      try {
        await write(key, desired, this.#clock.now() - since);
      } catch (err) {
        if (this.#pending.has(key)) this.#since.set(key, since);
        throw err;
      }
      // A status set while this one was written stays pending: the queue runs the key again.
      if (this.#pending.get(key) === desired) this.#pending.delete(key);
    }, { ...options, baseDelayMs: 250, maxDelayMs: 30_000 });
  }

  /** Makes `desired` the status to write for the pod at `key`, replacing one not written yet. */
  set(key: string, desired: DesiredStatus): void {
    this.#pending.set(key, desired);
    if (!this.#since.has(key)) this.#since.set(key, this.#clock.now());
    this.#queue.add(key);
  }

  /** The status decided for the pod at `key` and not written yet. */
  pending(key: string): DesiredStatus | undefined {
    return this.#pending.get(key);
  }

  /** Drops the unwritten status of a pod that left the API. */
  forget(key: string): void {
    this.#pending.delete(key);
    this.#since.delete(key);
  }

  /** Resolves when no write is queued or running (retries after a failure may still wait). */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  shutdown(): void {
    this.#queue.shutdown();
    this.#pending.clear();
    this.#since.clear();
  }
}

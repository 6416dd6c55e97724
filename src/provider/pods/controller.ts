// The pod controller: every pod bound to this node has exactly one backend pod while it should
// run, and the API shows the status the backend reports. It knows Kubernetes, not the backend:
// a provider (provider.ts) creates, stops and watches backend pods. Changes from the API
// server and from the provider become keys in one work queue, so each pod is synced by one
// worker at a time: create (idempotent per uid), status sync, graceful deletion, and the orphan
// sweep. Syncs decide a pod's status; the status writer (a queue of its own, serialized and
// coalesced per pod) writes it.
import { sameJson } from '../../kube/canonical.ts';
import { systemClock, type Clock } from '../../kube/clock.ts';
import { ListWatchCache, objectKey, withoutManagedFields } from '../../kube/list-watch-cache.ts';
import { rfc3339, type Pod, type PodStatus } from '../../kube/wire.ts';
import { WorkQueue } from '../../kube/workqueue.ts';
import { errorMessage } from '../../log/error-message.ts';
import type { Logger } from '../../log/logger.ts';
import type { EventRecorder, EventTarget } from '../events.ts';
import type { Summary } from '../metrics.ts';
import { containerEvents, podFailureEvent } from './container-events.ts';
import type { PodApi } from './pod-api.ts';
import { missingAction, planOrphans, PROVIDER_POD_MISSING } from './orphans.ts';
import { configErrorStatus, failedStatus, statusPatch, type StatusContext } from './pod-status.ts';
import { PodRefusedError, PodWaitingError, type PodLifecycleHandler } from './provider.ts';
import { StatusWriter, type DesiredStatus } from './status-writer.ts';

export interface PodControllerOptions {
  api: PodApi;
  provider: PodLifecycleHandler;
  nodeName: string;
  nodeIP: string;
  /** Called with the uid of a pod that left this node (deleted from the API): its sidecar's connection goes. */
  onPodGone?: (uid: string) => void;
  /** Pods synced concurrently; status writes get as many workers of their own. */
  workers: number;
  /** Period of the orphan sweep. */
  resyncMs: number;
  events: Pick<EventRecorder, 'record'>;
  /** One sync's duration, seconds, by result. */
  syncDuration?: Summary;
  /** How long a decided status waited for its write, seconds (burstlet's share of the status lag). */
  statusWait?: Summary;
  /** One status write to the API server, seconds. */
  statusWrite?: Summary;
  log: Logger;
  clock?: Clock;
  /** In [0, 1), for the retry backoffs' jitter. */
  random?: () => number;
}

/** The event of a pod whose creation on the backend keeps failing (and is retried). */
export const PROVIDER_CREATE_FAILED = 'ProviderCreateFailed';

/** Consecutive failures of a pod's creation before a Warning says it keeps failing (the first may be a blip). */
const CREATE_FAILURES_BEFORE_EVENT = 3;

/** The backend did not take the pod and may later: the sync is retried with backoff. */
class CreateFailedError extends Error {
  override name = 'CreateFailedError';
}

/** Retry period for pods waiting on something missing (the provider may notify them sooner). */
const WAITING_RETRY_MS = 20_000;

const key = objectKey;

/** The identity of a pod, enough for the provider to find the backend pod after the pod left the API. */
function identity(pod: Pod): Pod {
  const m = pod.metadata!;
  return { metadata: { namespace: m.namespace!, name: m.name!, uid: m.uid! } };
}

/**
 * Gives `pod` the spec object of `earlier` (a version of the same pod) when the two specs are
 * equal, so that a pod's versions share one spec: a sync tells a spec update by identity, falling
 * back to a comparison only when they differ, and no superseded copy stays alive for it. Hashing
 * each spec at every sync instead was 6% of burstlet's CPU in a 1,000-pod burst.
 */
function shareSpec(pod: Pod, earlier: Pod | undefined): void {
  if (earlier?.spec && pod.spec !== earlier.spec && pod.metadata?.uid === earlier.metadata?.uid && sameJson(pod.spec, earlier.spec)) pod.spec = earlier.spec;
}

export class PodController {
  readonly #o: PodControllerOptions;
  readonly #pods: ListWatchCache<Pod>;
  readonly #queue: WorkQueue;
  readonly #statuses: StatusWriter;
  readonly #clock: Clock;
  /** The newest version of each pod burstlet wrote (ahead of the informer). */
  readonly #written = new Map<string, Pod>();
  /** The pod last synced per key (identity) and its spec, to delete its backend pod after it left the API and to tell spec updates. */
  readonly #tracked = new Map<string, { pod: Pod; spec: Pod['spec'] }>();
  /** Uids whose backend pod's deletion was requested. */
  readonly #deleting = new Set<string>();
  /**
   * Pods this node deleted from the API (key → uid) that the informer still lists: a sync
   * between the DELETE and its watch event must not DELETE again (the API server answers 404).
   */
  readonly #deletedFromApi = new Map<string, string>();
  #stopResync: (() => void) | undefined;

  constructor(options: PodControllerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    const log = options.log;
    const retries = { workers: options.workers, clock: this.#clock, ...(options.random ? { random: options.random } : {}) };
    this.#queue = new WorkQueue((k) => this.#sync(k), {
      ...retries,
      baseDelayMs: 250,
      maxDelayMs: 30_000,
      onError: (k, err, delayMs, failures) => {
        log.warn({ pod: k, err: errorMessage(err), retryInMs: delayMs }, 'pod sync failed; will retry');
        if (err instanceof CreateFailedError && failures >= CREATE_FAILURES_BEFORE_EVENT) this.#createRetrying(k, err);
      },
    });
    this.#statuses = new StatusWriter((k, desired, waitedMs) => this.#writeStatus(k, desired, waitedMs), {
      ...retries,
      onError: (k, err, delayMs) => log.warn({ pod: k, err: errorMessage(err), retryInMs: delayMs }, 'pod status write failed; will retry'),
    });
    // Deletions are urgent (someone waits on kubectl delete); so is backend status (cheap to copy).
    this.#pods = new ListWatchCache<Pod>({
      source: options.api.pods,
      name: 'pods',
      key,
      transform: withoutManagedFields,
      onChange: (k, pod, previous) => {
        if (pod) shareSpec(pod, previous);
        const goneUid = pod ? undefined : previous?.metadata?.uid;
        if (goneUid) options.onPodGone?.(goneUid);
        // The informer caught up with what burstlet wrote: drop the copy.
        const written = this.#written.get(k);
        const rv = Number(pod?.metadata?.resourceVersion);
        if (written && pod && rv >= Number(written.metadata?.resourceVersion)) this.#written.delete(k);
        if (!pod) this.#deletedFromApi.delete(k);
        if (pod && !pod.metadata?.deletionTimestamp && previous?.metadata?.uid !== pod.metadata?.uid) options.provider.prepare?.(pod);
        // The echo of burstlet's own status write (that very version) changes nothing to sync:
        // skipping it saves a sync per write, a third of them in a burst.
        if (written && pod && rv === Number(written.metadata?.resourceVersion) && written.metadata?.uid === pod.metadata?.uid) return;
        this.#queue.add(k, !pod || Boolean(pod.metadata?.deletionTimestamp));
      },
      log,
      clock: this.#clock,
      ...(options.random ? { random: options.random } : {}),
    });
    options.provider.notifyPods((k) => this.#queue.add(k, true));
  }

  /** Starts the informer and the provider, sweeps orphans once, then syncs continuously. */
  async start(): Promise<void> {
    await Promise.all([this.#pods.start(), this.#o.provider.start()]);
    await this.sweepOrphans();
    const sweep = (): void => {
      this.#stopResync = this.#clock.after(this.#o.resyncMs, () => {
        this.sweepOrphans()
          .catch((err: unknown) => this.#o.log.warn({ err: errorMessage(err) }, 'orphan sweep failed'))
          .finally(sweep);
      });
    };
    sweep();
  }

  stop(): void {
    this.#stopResync?.();
    this.#queue.shutdown();
    this.#statuses.shutdown();
    this.#pods.stop();
    this.#o.provider.stop();
  }

  /** Pods bound to this node by phase. */
  podsByPhase(): Map<string, number> {
    const out = new Map<string, number>();
    for (const pod of this.#pods.list()) {
      const phase = this.#current(pod).status?.phase ?? 'Pending';
      out.set(phase, (out.get(phase) ?? 0) + 1);
    }
    return out;
  }

  /** Pods bound to this node, as burstlet last knew them (for the kubelet API). */
  pods(): Pod[] {
    return this.#pods.list().map((p) => this.#current(p));
  }

  findPod(namespace: string, name: string): Pod | undefined {
    const pod = this.#pods.get(`${namespace}/${name}`);
    return pod && this.#current(pod);
  }

  /** Deletes backend pods nobody owns any more; queues pods whose backend pod is missing (create or fail). */
  async sweepOrphans(): Promise<void> {
    const plan = planOrphans(this.#pods.list(), await this.#o.provider.getPods());
    for (const orphan of plan.delete) {
      // The pod may have arrived since the plan was made; its own sync decides then.
      if (this.#pods.get(key(orphan))) continue;
      this.#o.log.info({ pod: key(orphan), uid: orphan.metadata?.uid }, `deleting orphaned ${this.#o.provider.name} pod`);
      await this.#o.provider.deletePod(orphan, 0).catch((err: unknown) => this.#o.log.warn({ pod: key(orphan), err: errorMessage(err) }, 'orphan deletion failed'));
    }
    for (const k of [...plan.create, ...plan.fail]) this.#queue.add(k);
  }

  /** The pod as the API server last showed it: the informer's copy or, if newer, what a write returned. */
  #stored(k: string, pod: Pod): Pod {
    const written = this.#written.get(k);
    if (!written || written.metadata?.uid !== pod.metadata?.uid) return pod;
    return Number(written.metadata?.resourceVersion) > Number(pod.metadata?.resourceVersion) ? written : pod;
  }

  /** The pod as burstlet last knew it: as stored, with the status decided but not written yet. */
  #current(pod: Pod): Pod {
    const k = key(pod);
    const stored = this.#stored(k, pod);
    const pending = this.#statuses.pending(k);
    return pending && pending.uid === pod.metadata?.uid ? { ...stored, status: pending.status } : stored;
  }

  #ctx(): StatusContext {
    return { nodeIP: this.#o.nodeIP, now: rfc3339(new Date()) };
  }

  async #sync(k: string): Promise<void> {
    const started = performance.now();
    let result = 'ok';
    try {
      await this.#syncPod(k);
    } catch (err) {
      result = 'error';
      throw err;
    } finally {
      this.#o.syncDuration?.observe((performance.now() - started) / 1000, { result });
    }
  }

  async #syncPod(k: string): Promise<void> {
    const informed = this.#pods.get(k);
    const tracked = this.#tracked.get(k);
    const provider = this.#o.provider;
    if (!informed) {
      // Gone from the API (or force-deleted): its backend pod must go too.
      this.#written.delete(k);
      this.#statuses.forget(k);
      if (tracked) await provider.deletePod(tracked.pod, 0);
      this.#tracked.delete(k);
      return;
    }
    const pod = this.#current(informed);
    const uid = pod.metadata!.uid!;
    if (tracked && tracked.pod.metadata!.uid !== uid) await provider.deletePod(tracked.pod, 0);
    const synced = tracked?.pod.metadata!.uid === uid ? tracked : undefined;
    this.#tracked.set(k, { pod: identity(pod), spec: pod.spec });

    if (pod.metadata!.deletionTimestamp) return this.#syncDeletion(pod);
    let state = await provider.getPodStatus(pod);
    if (!state) {
      const action = missingAction(pod);
      if (action === 'none') return;
      if (action === 'fail') return this.#failMissing(pod);
      if (!(await this.#create(k, pod))) return;
      state = await provider.getPodStatus(pod);
      if (!state) return; // gone again already: the provider notifies
    } else if (synced && synced.spec !== pod.spec && !sameJson(synced.spec, pod.spec)) {
      await provider.updatePod(pod);
    }
    this.#setStatus(pod, state.status, state.annotations);
  }

  /** Creates the backend pod; false when the provider refused it or it must wait. */
  async #create(k: string, pod: Pod): Promise<boolean> {
    try {
      await this.#o.provider.createPod(pod);
      return true;
    } catch (err) {
      if (err instanceof PodWaitingError) {
        this.#setStatus(pod, configErrorStatus(pod, err.message, this.#ctx()));
        this.#queue.addAfter(k, WAITING_RETRY_MS);
        return false;
      }
      if (err instanceof PodRefusedError) {
        this.#setStatus(pod, failedStatus(pod, err.reason, err.message, this.#ctx()));
        return false;
      }
      throw new CreateFailedError(errorMessage(err), { cause: err });
    }
  }

  /** Says, where kubectl describe shows it, that a pod's creation keeps failing and is being retried. */
  #createRetrying(k: string, err: CreateFailedError): void {
    const pod = this.#pods.get(k);
    if (!pod) return;
    // The same message each time, so that the recorder folds the repeats into one event: "(x7 over 3m)".
    this.#event(pod, 'Warning', PROVIDER_CREATE_FAILED, `${this.#o.provider.name} did not create the pod: ${err.message}; retrying with backoff`);
  }

  async #syncDeletion(pod: Pod): Promise<void> {
    const provider = this.#o.provider;
    const m = pod.metadata!;
    if (this.#deletedFromApi.get(key(pod)) === m.uid) return;
    if (!this.#deleting.has(m.uid!)) {
      // Never seen on the backend: delete anyway, without grace (a create whose response was lost may have succeeded).
      const present = (await provider.getPodStatus(pod)) !== undefined;
      const grace = present ? (m.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30) : 0;
      for (const c of present ? (pod.status?.containerStatuses ?? []) : []) {
        if (c.state?.running) this.#event(pod, 'Normal', 'Killing', `Stopping container ${c.name}`, `spec.containers{${c.name}}`);
      }
      await provider.deletePod(pod, grace);
      this.#deleting.add(m.uid!);
    }
    // The provider notifies when the backend pod is gone; its resync is the fallback.
    if ((await provider.getPodStatus(pod)) !== undefined) return;
    await this.#o.api.removePod(m.namespace!, m.name!, m.uid!);
    this.#deletedFromApi.set(key(pod), m.uid!);
    this.#deleting.delete(m.uid!);
  }

  async #failMissing(pod: Pod): Promise<void> {
    // The provider's view says it is gone; confirm before failing a pod for good.
    if ((await this.#o.provider.getPodStatus(pod, { confirm: true })) !== undefined) return this.#queue.add(key(pod));
    const message = `the ${this.#o.provider.name} pod running this pod disappeared; burstlet does not recreate a pod that already ran`;
    this.#event(pod, 'Warning', PROVIDER_POD_MISSING, message);
    this.#setStatus(pod, failedStatus(pod, PROVIDER_POD_MISSING, message, this.#ctx()));
  }

  /** Hands the status decided for `pod` to the status writer. */
  #setStatus(pod: Pod, status: PodStatus, annotations: Record<string, string> = {}): void {
    this.#statuses.set(key(pod), { uid: pod.metadata!.uid!, status, annotations });
  }

  /** One status write: the patch from what the API server holds, and the container events it implies. */
  async #writeStatus(k: string, desired: DesiredStatus, waitedMs: number): Promise<void> {
    const informed = this.#pods.get(k);
    // Gone, or replaced by a new pod of the same name: this status was not decided for it.
    if (!informed || informed.metadata?.uid !== desired.uid) return;
    const pod = this.#stored(k, informed);
    const patch = statusPatch(pod, desired.status, desired.annotations);
    if (!patch) return;
    for (const e of containerEvents(pod.status?.initContainerStatuses, desired.status.initContainerStatuses, 'initContainers')) this.#event(pod, e.type, e.reason, e.message, e.fieldPath);
    for (const e of containerEvents(pod.status?.containerStatuses, desired.status.containerStatuses, 'containers')) this.#event(pod, e.type, e.reason, e.message, e.fieldPath);
    const failure = podFailureEvent(pod.status, desired.status);
    if (failure) this.#event(pod, failure.type, failure.reason, failure.message);
    const m = pod.metadata!;
    this.#o.statusWait?.observe(waitedMs / 1000);
    const started = performance.now();
    const updated = await this.#o.api.patchStatus(m.namespace!, m.name!, patch);
    this.#o.statusWrite?.observe((performance.now() - started) / 1000);
    if (updated && updated.metadata?.uid === m.uid) {
      const written = withoutManagedFields(updated);
      shareSpec(written, pod);
      this.#written.set(k, written);
    }
  }

  #event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): void {
    const m = pod.metadata!;
    const target: EventTarget = { kind: 'Pod', namespace: m.namespace!, name: m.name!, uid: m.uid!, ...(fieldPath ? { fieldPath } : {}) };
    this.#o.events.record(target, type, reason, message);
  }
}

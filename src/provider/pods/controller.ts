// The pod controller: every pod bound to this node has exactly one CCI pod while it should
// run. Changes from the API server (pods, ConfigMaps, Secrets) and from CCI (its pod watch)
// all become keys in one work queue, so each pod is synced by one worker at a time: create
// (idempotent per uid), status sync, graceful deletion, and the orphan sweep. Syncs decide a
// pod's status; the status writer (a queue of its own, serialized per pod) writes it.
import type { CciContainer, CciPod } from '../../cci/types.ts';
import type { Logger } from '../../log/logger.ts';
import { translatePod, type TranslateInput } from '../translate/translate-pod.ts';
import { cciStatus, cciReason, type CciPodsBackend } from '../cci-backend.ts';
import type { EventRecorder, EventTarget } from '../events.ts';
import { KubeError, type KubeClient } from '../kube/client.ts';
import { Reflector, withoutManagedFields } from '../kube/reflector.ts';
import { rfc3339, type ContainerStatus, type Pod, type PodStatus } from '../kube/wire.ts';
import type { NodeMetrics } from '../node-metrics.ts';
import { WorkQueue } from '../workqueue.ts';
import { CciPodCache } from './cci-pod-cache.ts';
import { containerEvents, podFailureEvent } from './container-events.ts';
import { ClusterLookups } from './lookups.ts';
import { cciPodName, ownerKey } from './naming.ts';
import { missingAction, planOrphans, PROVIDER_POD_MISSING } from './orphans.ts';
import { configErrorStatus, failedStatus, flavorAnnotations, NETWORK_READY_CONDITION, sidecarCause, statusFromCci, statusPatch, type StatusContext } from './pod-status.ts';
import { SIDECAR_CONTAINER_NAME } from '../../network/sidecar-injection.ts';
import { StatusWriter, type DesiredStatus } from './status-writer.ts';

export interface PodControllerOptions {
  kube: KubeClient;
  cci: CciPodsBackend;
  nodeName: string;
  nodeIP: string;
  /** The node part of translatePod's input (DNS settings). */
  translateNode: TranslateInput['node'];
  /** The networking sidecar to put first in a pod's CCI pod, if any. */
  sidecarFor?: (pod: Pod) => CciContainer | undefined;
  /** The last error the sidecar of a CCI pod logged (read from its log), for NetworkReady and an event. */
  sidecarError?: (cciName: string) => Promise<string | undefined>;
  /** Pods synced concurrently; status writes get as many workers of their own. */
  workers: number;
  /** CCI relist + orphan sweep period. */
  resyncMs: number;
  events: EventRecorder;
  metrics: NodeMetrics;
  log: Logger;
}

/** Retry period for pods waiting on a missing ConfigMap/Secret, besides the informer wake-up. */
const CONFIG_RETRY_MS = 20_000;
/** How often an unready sidecar's log is read again for its last error. */
const SIDECAR_DIAGNOSIS_MS = 10_000;

export class PodController {
  readonly #o: PodControllerOptions;
  readonly #pods: Reflector<Pod>;
  readonly #lookups: ClusterLookups;
  readonly #cciPods: CciPodCache;
  readonly #queue: WorkQueue;
  readonly #statuses: StatusWriter;
  /** The newest version of each pod burstlet wrote (ahead of the informer). */
  readonly #written = new Map<string, Pod>();
  /** The uid and CCI pod name last seen per key, to clean up after the pod left the API. */
  readonly #tracked = new Map<string, { uid: string; cciName: string }>();
  /** CCI pods whose deletion was requested. */
  readonly #deleting = new Set<string>();
  /** Keys waiting for a ConfigMap/Secret, by namespace. */
  readonly #waitingConfig = new Map<string, Set<string>>();
  /** Per pod uid: the unready sidecar's last logged error, when its log was last read, and the cause last posted as an event. */
  readonly #sidecarErrors = new Map<string, { error?: string; at: number; reading: boolean; posted?: string }>();
  #resyncTimer: NodeJS.Timeout | undefined;

  constructor(options: PodControllerOptions) {
    this.#o = options;
    const log = options.log;
    this.#queue = new WorkQueue((key) => this.#sync(key), {
      workers: options.workers,
      baseDelayMs: 250,
      maxDelayMs: 30_000,
      onError: (key, err, delayMs) => log.warn({ pod: key, err: (err as Error).message, retryInMs: delayMs }, 'pod sync failed; will retry'),
    });
    this.#statuses = new StatusWriter((key, desired) => this.#writeStatus(key, desired), {
      workers: options.workers,
      onError: (key, err, delayMs) => log.warn({ pod: key, err: (err as Error).message, retryInMs: delayMs }, 'pod status write failed; will retry'),
    });
    // Deletions are urgent (someone waits on kubectl delete); so is CCI status (cheap to copy).
    this.#pods = new Reflector<Pod>(options.kube, '/api/v1/pods', { fieldSelector: `spec.nodeName=${options.nodeName}` },
      (key, pod) => {
        // The informer caught up with what burstlet wrote: drop the copy.
        const written = this.#written.get(key);
        if (written && pod && Number(pod.metadata?.resourceVersion) >= Number(written.metadata?.resourceVersion)) this.#written.delete(key);
        this.#queue.add(key, !pod || Boolean(pod.metadata?.deletionTimestamp));
      }, log);
    this.#lookups = new ClusterLookups(options.kube, log, (ns) => {
      for (const key of this.#waitingConfig.get(ns) ?? []) this.#queue.add(key);
    });
    this.#cciPods = new CciPodCache(options.cci, (_name, pod, previous) => {
      const key = ownerKey((pod ?? previous)!);
      if (key) this.#queue.add(key, true);
    }, log, (err) => this.#cciError('list/watch', err));
  }

  /** Starts informers and the CCI watch, sweeps orphans once, then syncs continuously. */
  async start(): Promise<void> {
    await Promise.all([this.#pods.start(), this.#lookups.start(), this.#cciPods.start()]);
    await this.sweepOrphans();
    this.#resyncTimer = setInterval(() => {
      this.#cciPods.resync();
      void this.sweepOrphans().catch((err: Error) => this.#o.log.warn({ err: err.message }, 'orphan sweep failed'));
    }, this.#o.resyncMs);
    this.#resyncTimer.unref();
  }

  stop(): void {
    clearInterval(this.#resyncTimer);
    this.#queue.shutdown();
    this.#statuses.shutdown();
    this.#pods.stop();
    this.#lookups.stop();
    this.#cciPods.stop();
  }

  /** Pods bound to this node by phase, and the CCI pods this node runs (node capacity). */
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

  get cciPodCount(): number {
    return this.#cciPods.list().filter((p) => ownerKey(p) !== undefined).length;
  }

  /** Deletes CCI pods nobody owns any more; queues pods whose CCI pod is missing (create or fail). */
  async sweepOrphans(): Promise<void> {
    const plan = planOrphans(this.#pods.list(), this.#cciPods.list());
    for (const name of plan.deleteCci) {
      const owner = ownerKey(this.#cciPods.get(name)!);
      // The pod may have arrived since the plan was made; its own sync decides then.
      if (owner && this.#pods.get(owner)) continue;
      this.#o.log.info({ cciPod: name, pod: owner }, 'deleting orphaned CCI pod');
      await this.#o.cci.deletePod(name, 0).catch((err: unknown) => {
        if (cciStatus(err) !== 404) this.#cciError('delete', err);
      });
    }
    for (const key of [...plan.create, ...plan.fail]) this.#queue.add(key);
  }

  /** The pod as the API server last showed it: the informer's copy or, if newer, what a write returned. */
  #stored(key: string, pod: Pod): Pod {
    const written = this.#written.get(key);
    if (!written || written.metadata?.uid !== pod.metadata?.uid) return pod;
    return Number(written.metadata?.resourceVersion) > Number(pod.metadata?.resourceVersion) ? written : pod;
  }

  /** The pod as burstlet last knew it: as stored, with the status decided but not written yet. */
  #current(pod: Pod): Pod {
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    const stored = this.#stored(key, pod);
    const pending = this.#statuses.pending(key);
    return pending && pending.uid === pod.metadata?.uid ? { ...stored, status: pending.status } : stored;
  }

  #ctx(): StatusContext {
    return { nodeIP: this.#o.nodeIP, now: rfc3339(new Date()) };
  }

  async #sync(key: string): Promise<void> {
    const started = performance.now();
    let result = 'ok';
    try {
      await this.#syncPod(key);
    } catch (err) {
      result = 'error';
      throw err;
    } finally {
      this.#o.metrics.podSync.observe((performance.now() - started) / 1000, { result });
    }
  }

  async #syncPod(key: string): Promise<void> {
    const informed = this.#pods.get(key);
    const tracked = this.#tracked.get(key);
    if (!informed) {
      // Gone from the API (or force-deleted): its CCI pod must go too.
      this.#written.delete(key);
      this.#statuses.forget(key);
      this.#forgetWaiting(key);
      if (tracked) this.#sidecarErrors.delete(tracked.uid);
      if (tracked) await this.#deleteCci(tracked.cciName, 0);
      this.#tracked.delete(key);
      return;
    }
    const pod = this.#current(informed);
    const meta = pod.metadata!;
    const cciName = cciPodName(meta.namespace!, meta.name!, meta.uid!);
    if (tracked && tracked.uid !== meta.uid) await this.#deleteCci(tracked.cciName, 0);
    this.#tracked.set(key, { uid: meta.uid!, cciName });

    if (meta.deletionTimestamp) return this.#syncDeletion(pod, cciName);
    let cci = this.#cciPods.get(cciName);
    if (!cci) {
      const action = missingAction(pod);
      if (action === 'none') return;
      if (action === 'fail') return this.#failMissing(pod, cciName);
      cci = await this.#create(key, pod, cciName);
      if (!cci) return;
    }
    this.#forgetWaiting(key);
    const uid = meta.uid!;
    const known = this.#sidecarErrors.get(uid);
    const status = statusFromCci(pod, cci, { ...this.#ctx(), sidecarError: known?.error });
    if (status.conditions?.some((c) => c.type === NETWORK_READY_CONDITION && c.status === 'False')) {
      this.#diagnoseSidecar(key, pod, cciName);
      const entry = this.#sidecarErrors.get(uid)!;
      const cause = sidecarCause(cci.status?.containerStatuses?.find((c) => c.name === SIDECAR_CONTAINER_NAME) as ContainerStatus | undefined, entry.error);
      if (cause !== undefined && cause !== entry.posted) {
        entry.posted = cause;
        this.#event(pod, 'Warning', 'NetworkNotReady', `the burstlet-network sidecar is not ready: ${cause}`);
      }
    } else {
      this.#sidecarErrors.delete(uid);
    }
    this.#setStatus(pod, status, flavorAnnotations(cci));
  }

  /**
   * Reads the unready sidecar's log for its last error (at most every SIDECAR_DIAGNOSIS_MS, never
   * holding up the sync); a new error syncs the pod again, which shows it and posts it.
   */
  #diagnoseSidecar(key: string, pod: Pod, cciName: string): void {
    const read = this.#o.sidecarError;
    const uid = pod.metadata!.uid!;
    const entry = this.#sidecarErrors.get(uid) ?? { at: 0, reading: false };
    this.#sidecarErrors.set(uid, entry);
    if (!read || entry.reading || performance.now() - entry.at < SIDECAR_DIAGNOSIS_MS) return;
    entry.reading = true;
    void read(cciName)
      .then((error) => {
        if (error === undefined || error === entry.error) return;
        entry.error = error;
        // The sync shows it in NetworkReady and posts the Warning.
        this.#queue.add(key);
      })
      .catch((err: unknown) => this.#o.log.debug({ pod: key, err: (err as Error).message }, 'could not read the sidecar\'s log'))
      .finally(() => {
        entry.reading = false;
        entry.at = performance.now();
      });
  }

  async #create(key: string, pod: Pod, cciName: string): Promise<CciPod | undefined> {
    const ns = pod.metadata!.namespace!;
    const token = await this.#lookups.serviceAccountToken(pod);
    const sidecar = this.#o.sidecarFor?.(pod);
    const result = translatePod({
      ...(sidecar ? { sidecar } : {}),
      pod: pod as TranslateInput['pod'],
      node: this.#o.translateNode,
      lookups: { ...this.#lookups.forNamespace(ns), ...(token !== undefined ? { serviceAccountToken: token } : {}) },
    });
    for (const e of result.events) {
      if (e.object === 'node') this.#nodeEvent(e.type, e.reason, e.message);
      else this.#event(pod, e.type, e.reason, e.message);
    }
    if (!result.ok) {
      if (result.retryable) {
        this.#waitFor(key, ns);
        this.#setStatus(pod, configErrorStatus(pod, result.message, this.#ctx()));
        this.#queue.addAfter(key, CONFIG_RETRY_MS);
      } else {
        this.#setStatus(pod, failedStatus(pod, result.reason, result.message, this.#ctx()));
      }
      return undefined;
    }
    const desired: CciPod = { ...result.pod, metadata: { ...result.pod.metadata, name: cciName } };
    const started = performance.now();
    try {
      const created = await this.#o.cci.createPod(desired);
      this.#o.metrics.cciCreate.observe((performance.now() - started) / 1000);
      this.#cciPods.remember(created);
      return created;
    } catch (err) {
      if (cciStatus(err) !== 409) {
        this.#cciError('create', err);
        throw err;
      }
      // Already created (a retry after a lost response, or before a restart): that pod is ours.
      const existing = await this.#o.cci.getPod(cciName);
      this.#cciPods.remember(existing);
      return existing;
    }
  }

  async #syncDeletion(pod: Pod, cciName: string): Promise<void> {
    if (this.#cciPods.get(cciName)) {
      if (!this.#deleting.has(cciName)) {
        const grace = pod.metadata!.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
        for (const c of pod.status?.containerStatuses ?? []) {
          if (c.state?.running) this.#event(pod, 'Normal', 'Killing', `Stopping container ${c.name}`, `spec.containers{${c.name}}`);
        }
        await this.#deleteCci(cciName, grace);
        // The CCI watch reports the deletion; the periodic relist is the fallback.
      }
      if (this.#cciPods.get(cciName)) return;
    } else if (!this.#deleting.has(cciName)) {
      // Never seen on CCI: make sure (a create whose response was lost may have succeeded).
      await this.#deleteCci(cciName, 0);
    }
    try {
      await this.#o.kube.request('DELETE', `/api/v1/namespaces/${pod.metadata!.namespace}/pods/${pod.metadata!.name}`, {
        body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid: pod.metadata!.uid } },
      });
    } catch (err) {
      // 404: already gone; 409: a new pod of the same name (uid precondition) is not ours to delete.
      if (!(err instanceof KubeError && (err.status === 404 || err.status === 409))) throw err;
    }
    this.#deleting.delete(cciName);
  }

  async #deleteCci(name: string, grace: number): Promise<void> {
    try {
      await this.#o.cci.deletePod(name, grace);
      this.#deleting.add(name);
    } catch (err) {
      if (cciStatus(err) === 404) {
        this.#cciPods.forget(name);
        return;
      }
      this.#cciError('delete', err);
      throw err;
    }
  }

  async #failMissing(pod: Pod, cciName: string): Promise<void> {
    // The cache says it is gone; confirm before failing a pod for good.
    try {
      this.#cciPods.remember(await this.#o.cci.getPod(cciName));
      return this.#queue.add(`${pod.metadata!.namespace}/${pod.metadata!.name}`);
    } catch (err) {
      if (cciStatus(err) !== 404) throw err;
    }
    const message = 'the CCI pod running this pod disappeared; burstlet does not recreate a pod that already ran';
    this.#event(pod, 'Warning', PROVIDER_POD_MISSING, message);
    this.#setStatus(pod, failedStatus(pod, PROVIDER_POD_MISSING, message, this.#ctx()));
  }

  /** Hands the status decided for `pod` to the status writer. */
  #setStatus(pod: Pod, status: PodStatus, annotations: Record<string, string> = {}): void {
    const m = pod.metadata!;
    this.#statuses.set(`${m.namespace}/${m.name}`, { uid: m.uid!, status, annotations });
  }

  /** One status write: the patch from what the API server holds, and the container events it implies. */
  async #writeStatus(key: string, desired: DesiredStatus): Promise<void> {
    const informed = this.#pods.get(key);
    // Gone, or replaced by a new pod of the same name: this status was not decided for it.
    if (!informed || informed.metadata?.uid !== desired.uid) return;
    const pod = this.#stored(key, informed);
    const patch = statusPatch(pod, desired.status, desired.annotations);
    if (!patch) return;
    for (const e of containerEvents(pod.status?.initContainerStatuses, desired.status.initContainerStatuses, 'initContainers')) this.#event(pod, e.type, e.reason, e.message, e.fieldPath);
    for (const e of containerEvents(pod.status?.containerStatuses, desired.status.containerStatuses, 'containers')) this.#event(pod, e.type, e.reason, e.message, e.fieldPath);
    const failure = podFailureEvent(pod.status, desired.status);
    if (failure) this.#event(pod, failure.type, failure.reason, failure.message);
    const m = pod.metadata!;
    try {
      const updated = await this.#o.kube.request<Pod>('PATCH', `/api/v1/namespaces/${m.namespace}/pods/${m.name}/status`, {
        body: patch,
        contentType: 'application/merge-patch+json',
      });
      if (updated.metadata?.uid === m.uid) this.#written.set(`${m.namespace}/${m.name}`, withoutManagedFields(updated));
    } catch (err) {
      if (err instanceof KubeError && err.status === 404) return;
      throw err;
    }
  }

  #event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): void {
    const m = pod.metadata!;
    const target: EventTarget = { kind: 'Pod', namespace: m.namespace!, name: m.name!, uid: m.uid!, ...(fieldPath ? { fieldPath } : {}) };
    this.#o.events.record(target, type, reason, message);
  }

  /** Node events carry the node name as uid, as the kubelet's do. */
  #nodeEvent(type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.#o.events.record({ kind: 'Node', namespace: '', name: this.#o.nodeName, uid: this.#o.nodeName }, type, reason, message);
  }

  #cciError(operation: string, err: unknown): void {
    this.#o.metrics.cciErrors.inc({ operation, reason: cciReason(err) });
  }

  #waitFor(key: string, ns: string): void {
    let keys = this.#waitingConfig.get(ns);
    if (!keys) this.#waitingConfig.set(ns, (keys = new Set()));
    keys.add(key);
  }

  #forgetWaiting(key: string): void {
    const ns = key.slice(0, key.indexOf('/'));
    this.#waitingConfig.get(ns)?.delete(key);
  }
}

// CCI as the pod controller's provider: a Kubernetes pod becomes a CCI pod named after its
// uid (translated, with the networking sidecar if any), CCI's pods are kept current by one
// list-watch cache (relisted every resync period), and their status is mapped back. A pod
// that needs a missing ConfigMap or Secret waits, and is notified when one of its namespace
// changes.
import { CCI_NETWORK_ANNOTATION, cciPodState, type CciContainer, type CciPodState } from '../cci/types.ts';
import { systemClock, type Clock } from '../kube/clock.ts';
import { errorReason, isAlreadyExists, isNotFound } from '../kube/errors.ts';
import { objectKey, type KubeApi, type ListWatchCache } from '../kube/list-watch-cache.ts';
import { rfc3339, type Pod } from '../kube/wire.ts';
import type { Logger } from '../log/logger.ts';
import type { EventRecorder } from '../provider/events.ts';
import type { Counter, Summary } from '../provider/metrics.ts';
import { PodRefusedError, PodWaitingError, type PodLifecycleHandler, type ProviderPodStatus } from '../provider/pods/provider.ts';
import type { CciPodsBackend } from './cci-backend.ts';
import { cciCreateRefusal } from '../cci/refusal.ts';
import type { ClusterLookups } from './lookups.ts';
import type { CciNamespaceView } from './namespace-view.ts';
import { cciPodNameOf, ownedBy, ownerKey, ownerUID, ownershipLabels, type CciOwner } from './naming.ts';
import { flavorAnnotations, NETWORK_READY_CONDITION, sidecarCause, statusFromCci } from './pod-status.ts';
import { SIDECAR_CONTAINER_NAME } from '../network/sidecar-injection.ts';
import type { ContainerStatus } from '../kube/wire.ts';
import { errorMessage } from '../log/error-message.ts';
import { translatePod, type TranslateInput } from './translate/translate-pod.ts';
import { TokenPrefetcher } from './token-prefetch.ts';

export interface CciProviderOptions {
  cci: CciPodsBackend;
  /** What translation reads from the cluster (ConfigMaps, Secrets, Services, tokens). */
  kube: KubeApi;
  nodeName: string;
  nodeIP: string;
  /** The cluster's identity: with the node name, marks the CCI pods this node owns. */
  clusterId: string;
  /** The node part of translatePod's input (DNS settings). */
  translateNode: TranslateInput['node'];
  /** The CCI Network for pods that choose none (cci.io/network): a zone node's subnet; undefined = CCI's default. */
  defaultNetwork?: string;
  /** The networking sidecar to put first in a pod's CCI pod, if any. */
  sidecarFor?: (pod: Pod) => CciContainer | undefined;
  /** The last error the sidecar of a CCI pod logged (read from its log), for NetworkReady and an event. */
  sidecarError?: (cciName: string) => Promise<string | undefined>;
  /** The CCI namespace's pods and the cluster lookups, shared by the process's nodes (started by its owner). */
  view: CciNamespaceView;
  events: Pick<EventRecorder, 'record'>;
  metrics: { cciErrors: Counter; cciCreate: Summary };
  log: Logger;
  clock?: Clock;
}

/** ServiceAccount tokens requested ahead of creations at once (token-prefetch.ts), and how long one is kept. */
const TOKEN_PREFETCH = { concurrency: 16, maxAgeMs: 60_000, maxEntries: 20_000 };

/** Longest wait, in one sync, for a namespace's ConfigMaps and Secrets to be listed the first time. */
const NAMESPACE_LIST_WAIT_MS = 10_000;

/** How often an unready sidecar's log is read again for its last error. */
const SIDECAR_DIAGNOSIS_MS = 10_000;

/** An unready sidecar's last logged error, when its log was last read, and the cause last posted as an event. */
interface SidecarDiagnosis {
  error?: string;
  at: number;
  reading: boolean;
  posted?: string;
}

export class CciProvider implements PodLifecycleHandler {
  readonly name = 'CCI';
  readonly #o: CciProviderOptions;
  readonly #pods: ListWatchCache<CciPodState>;
  readonly #lookups: ClusterLookups;
  #unsubscribe: (() => void) | undefined;
  /** Keys of pods waiting for a ConfigMap/Secret, by namespace. */
  readonly #waiting = new Map<string, Set<string>>();
  /** Per pod uid, while its sidecar is not ready. */
  readonly #sidecars = new Map<string, SidecarDiagnosis>();
  #notify: (key: string) => void = () => undefined;
  readonly #tokens: TokenPrefetcher<Pod>;
  #started = false;

  readonly #owner: CciOwner;

  constructor(options: CciProviderOptions) {
    this.#o = options;
    this.#owner = { clusterId: options.clusterId, nodeName: options.nodeName };
    this.#pods = options.view.pods;
    this.#lookups = options.view.lookups;
    this.#tokens = new TokenPrefetcher((pod) => this.#lookups.serviceAccountToken(pod), TOKEN_PREFETCH);
  }

  /** Hears about this node's CCI pods and the ConfigMaps and Secrets its waiting pods need (the view is started by its owner). */
  start(): Promise<void> {
    this.#started = true;
    this.#unsubscribe = this.#o.view.subscribe(this.#o.nodeName, {
      pod: (key) => this.#notify(key),
      config: (ns) => {
        for (const key of this.#waiting.get(ns) ?? []) this.#notify(key);
      },
    });
    return Promise.resolve();
  }

  stop(): void {
    this.#unsubscribe?.();
  }

  notifyPods(onChange: (key: string) => void): void {
    this.#notify = onChange;
  }

  /** The CCI pods this node runs now (for the node's pods capacity). */
  get podCount(): number {
    return this.#pods.list().filter((p) => ownedBy(p, this.#owner)).length;
  }

  /** Requests the token of a pod not yet on CCI (its CCI pods are known once started). */
  prepare(pod: Pod): void {
    const phase = pod.status?.phase;
    if (!this.#started || phase === 'Succeeded' || phase === 'Failed' || this.#pods.get(cciPodNameOf(pod))) return;
    this.#tokens.prefetch(pod.metadata!.uid!, pod);
  }

  async createPod(pod: Pod): Promise<void> {
    const key = objectKey(pod);
    const ns = pod.metadata!.namespace!;
    const [token] = await Promise.all([this.#tokens.take(pod.metadata!.uid!, pod), this.#namespaceListed(key, ns)]);
    const sidecar = this.#o.sidecarFor?.(pod);
    const result = translatePod({
      ...(sidecar ? { sidecar } : {}),
      pod: pod as TranslateInput['pod'],
      node: this.#o.translateNode,
      lookups: { ...this.#lookups.forNamespace(ns), ...(token !== undefined ? { serviceAccountToken: token } : {}) },
    });
    for (const e of result.events) {
      const m = pod.metadata!;
      // Node events carry the node name as uid, as the kubelet's do.
      const target = e.object === 'node'
        ? { kind: 'Node' as const, namespace: '', name: this.#o.nodeName, uid: this.#o.nodeName }
        : { kind: 'Pod' as const, namespace: ns, name: m.name!, uid: m.uid! };
      this.#o.events.record(target, e.type, e.reason, e.message);
    }
    if (!result.ok) {
      if (!result.retryable) throw new PodRefusedError(result.reason, result.message);
      this.#wait(key, ns);
      throw new PodWaitingError(result.message);
    }
    this.#forgetWaiting(key);
    const name = cciPodNameOf(pod);
    const started = performance.now();
    try {
      const network = this.#o.defaultNetwork;
      const chosen = network === undefined || result.pod.metadata.annotations?.[CCI_NETWORK_ANNOTATION] !== undefined;
      const metadata = {
        ...result.pod.metadata,
        name,
        labels: { ...result.pod.metadata.labels, ...ownershipLabels(this.#owner) },
        ...(chosen ? {} : { annotations: { ...result.pod.metadata.annotations, [CCI_NETWORK_ANNOTATION]: network } }),
      };
      const created = await this.#o.cci.createPod({ ...result.pod, metadata });
      this.#o.metrics.cciCreate.observe((performance.now() - started) / 1000);
      this.#pods.remember(cciPodState(created));
    } catch (err) {
      if (!isAlreadyExists(err)) {
        this.#cciError('create', err);
        const refusal = cciCreateRefusal(err);
        if (refusal) {
          const m = pod.metadata!;
          this.#o.events.record({ kind: 'Pod', namespace: ns, name: m.name!, uid: m.uid! }, 'Warning', refusal.reason, refusal.message);
          throw new PodRefusedError(refusal.reason, refusal.message);
        }
        throw err;
      }
      // Already created (a retry after a lost response, or before a restart): that pod is ours.
      this.#pods.remember(cciPodState(await this.#o.cci.getPod(name)));
    }
  }

  /**
   * Waits (boundedly) for the namespace's ConfigMaps and Secrets to be listed the first time; a
   * list that keeps failing (the log says why) leaves the pod waiting, woken when they arrive.
   */
  async #namespaceListed(key: string, ns: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        this.#wait(key, ns);
        reject(new PodWaitingError(`the ConfigMaps and Secrets of namespace ${ns} are not listed yet (burstlet's log says why); the pod is created once they are`));
      }, NAMESPACE_LIST_WAIT_MS);
    });
    try {
      await Promise.race([this.#lookups.ready(ns), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * CCI pods cannot be changed in place, so a spec change after creation (a new image, for
   * which the kubelet would restart the container) is not applied.
   */
  async updatePod(): Promise<void> {}

  async deletePod(pod: Pod, gracePeriodSeconds: number): Promise<void> {
    this.#forgetWaiting(objectKey(pod));
    this.#sidecars.delete(pod.metadata!.uid!);
    const name = cciPodNameOf(pod);
    try {
      await this.#o.cci.deletePod(name, gracePeriodSeconds);
    } catch (err) {
      if (isNotFound(err)) return this.#pods.forget(name);
      this.#cciError('delete', err);
      throw err;
    }
  }

  async getPodStatus(pod: Pod, options: { confirm?: boolean } = {}): Promise<ProviderPodStatus | undefined> {
    const name = cciPodNameOf(pod);
    let cci = this.#pods.get(name);
    if (!cci && options.confirm) {
      try {
        cci = cciPodState(await this.#o.cci.getPod(name));
        this.#pods.remember(cci);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    if (!cci) return undefined;
    const uid = pod.metadata!.uid!;
    const status = statusFromCci(pod, cci, { nodeIP: this.#o.nodeIP, now: rfc3339(new Date()), sidecarError: this.#sidecars.get(uid)?.error });
    if (status.conditions?.some((c) => c.type === NETWORK_READY_CONDITION && c.status === 'False')) this.#diagnoseSidecar(pod, cci);
    else this.#sidecars.delete(uid);
    return { status, annotations: flavorAnnotations(cci) };
  }

  /**
   * Reads an unready sidecar's log for its last error (at most every SIDECAR_DIAGNOSIS_MS, never
   * holding up the sync: a new error notifies the pod, whose next status shows it) and posts a
   * Warning once per new cause.
   */
  #diagnoseSidecar(pod: Pod, cci: CciPodState): void {
    const m = pod.metadata!;
    const entry = this.#sidecars.get(m.uid!) ?? { at: -Infinity, reading: false };
    this.#sidecars.set(m.uid!, entry);
    const sidecar = cci.status?.containerStatuses?.find((c) => c.name === SIDECAR_CONTAINER_NAME) as ContainerStatus | undefined;
    const cause = sidecarCause(sidecar, entry.error);
    if (cause !== undefined && cause !== entry.posted) {
      entry.posted = cause;
      this.#o.events.record({ kind: 'Pod', namespace: m.namespace!, name: m.name!, uid: m.uid! }, 'Warning', 'NetworkNotReady', `the burstlet-network sidecar is not ready: ${cause}`);
    }
    const read = this.#o.sidecarError;
    const clock = this.#o.clock ?? systemClock;
    if (!read || entry.reading || clock.now() - entry.at < SIDECAR_DIAGNOSIS_MS) return;
    entry.reading = true;
    const key = objectKey(pod);
    read(cci.metadata.name)
      .then((error) => {
        if (error === undefined || error === entry.error) return;
        entry.error = error;
        this.#notify(key);
      })
      .catch((err: unknown) => this.#o.log.debug({ pod: key, err: errorMessage(err) }, 'could not read the sidecar\'s log'))
      .finally(() => {
        entry.reading = false;
        entry.at = clock.now();
      });
  }

  /**
   * The pods this node created: labelled with its cluster and name. Others in the namespace
   * (another node's, another cluster's, or nobody's) are never offered to the orphan sweep.
   */
  async getPods(): Promise<Pod[]> {
    const out: Pod[] = [];
    for (const cci of this.#pods.list()) {
      if (!ownedBy(cci, this.#owner)) continue;
      const key = ownerKey(cci);
      const uid = ownerUID(cci);
      if (key === undefined || uid === undefined) continue;
      const slash = key.indexOf('/');
      const deleting = cci.metadata.deletionTimestamp;
      out.push({ metadata: { namespace: key.slice(0, slash), name: key.slice(slash + 1), uid, ...(deleting ? { deletionTimestamp: deleting } : {}) } });
    }
    return out;
  }

  #cciError(operation: string, err: unknown): void {
    this.#o.metrics.cciErrors.inc({ operation, reason: errorReason(err) });
  }

  #wait(key: string, ns: string): void {
    let keys = this.#waiting.get(ns);
    if (!keys) this.#waiting.set(ns, (keys = new Set()));
    keys.add(key);
  }

  #forgetWaiting(key: string): void {
    const ns = key.slice(0, key.indexOf('/'));
    this.#waiting.get(ns)?.delete(key);
  }
}

// What every virtual node of one burstlet process reads alike, read once: the CCI namespace's
// pods (one list-watch, relisted every resync period) and the cluster objects translation needs
// (ClusterLookups). Each node's provider subscribes by node name and hears only about the CCI
// pods labelled with it, and about ConfigMap/Secret changes in any namespace.
import { cciPodState, ownerLabels, type CciPod, type CciPodState } from '../cci/types.ts';
import { systemClock, type Clock } from '../kube/clock.ts';
import { ListWatchCache, type KubeApi, type ListWatchSource, type WatchEventType } from '../kube/list-watch-cache.ts';
import type { Logger } from '../log/logger.ts';
import type { CciPodsBackend } from './cci-backend.ts';
import { ClusterLookups } from './lookups.ts';
import { ownerKey } from './naming.ts';

export interface NamespaceViewOptions {
  cci: CciPodsBackend;
  kube: KubeApi;
  /** Period of the full CCI relist. */
  resyncMs: number;
  /** Hears every failed CCI list or watch (the CCI error metric). */
  onError: (err: unknown) => void;
  log: Logger;
  clock?: Clock;
}

export interface ViewSubscriber {
  /** A CCI pod of this node changed: its Kubernetes pod's key. */
  pod(key: string): void;
  /** A ConfigMap or Secret of `namespace` changed. */
  config(namespace: string): void;
}

/** Pods per page of a CCI list. */
const LIST_PAGE_SIZE = 500;

/** CCI's pod list and watch of the namespace as a list-watch source, each pod kept without its spec. */
function cciPodSource(cci: CciPodsBackend): ListWatchSource<CciPodState> {
  return {
    // In pages, as client-go's reflector lists: a relist of 10,000 pods would otherwise hold
    // the whole response (45 MB of JSON, pods' files inline) and its parse at once.
    async list() {
      const items: CciPodState[] = [];
      let page = await cci.listPods({ limit: LIST_PAGE_SIZE });
      const resourceVersion = page.metadata.resourceVersion;
      for (;;) {
        for (const pod of page.items) items.push(cciPodState(pod));
        if (!page.metadata.continue) return { items, resourceVersion };
        page = await cci.listPods({ limit: LIST_PAGE_SIZE, continue: page.metadata.continue });
      }
    },
    // The client throws on ERROR events (410 Gone among them): what arrives here is a pod.
    watch: (resourceVersion, onEvent, signal) =>
      cci.watchPods(resourceVersion, (e) => onEvent(e.type as WatchEventType, cciPodState(e.object as CciPod)), signal),
  };
}

export class CciNamespaceView {
  readonly pods: ListWatchCache<CciPodState>;
  readonly lookups: ClusterLookups;
  readonly #o: NamespaceViewOptions;
  readonly #subscribers = new Map<string, ViewSubscriber>();
  #stopResync: (() => void) | undefined;

  constructor(o: NamespaceViewOptions) {
    this.#o = o;
    this.pods = new ListWatchCache<CciPodState>({
      source: cciPodSource(o.cci),
      name: 'CCI pods',
      key: (pod) => pod.metadata.name,
      onChange: (_name, pod, previous) => {
        const p = (pod ?? previous)!;
        const key = ownerKey(p);
        const node = p.metadata.labels?.[ownerLabels.node];
        if (key !== undefined && node !== undefined) this.#subscribers.get(node)?.pod(key);
      },
      onError: o.onError,
      log: o.log,
      baseDelayMs: 200,
      maxDelayMs: 10_000,
      ...(o.clock ? { clock: o.clock } : {}),
    });
    this.lookups = new ClusterLookups(o.kube, o.log, (ns) => {
      for (const s of this.#subscribers.values()) s.config(ns);
    });
  }

  async start(): Promise<void> {
    await Promise.all([this.pods.start(), this.lookups.start()]);
    const clock = this.#o.clock ?? systemClock;
    const resync = (): void => {
      this.#stopResync = clock.after(this.#o.resyncMs, () => {
        this.pods.resync();
        resync();
      });
    };
    resync();
  }

  stop(): void {
    this.#stopResync?.();
    this.pods.stop();
    this.lookups.stop();
  }

  /** Until the returned function is called, `node`'s provider hears about its pods. */
  subscribe(node: string, subscriber: ViewSubscriber): () => void {
    this.#subscribers.set(node, subscriber);
    return () => {
      if (this.#subscribers.get(node) === subscriber) this.#subscribers.delete(node);
    };
  }
}

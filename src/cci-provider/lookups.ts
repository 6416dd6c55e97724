// What translation reads from the cluster: Services through one cluster-wide informer (their
// links become env vars), ConfigMaps and Secrets through informers of the namespaces that have
// burst pods only — started when the first pod of a namespace is created, as the kubelet reads
// only what its pods reference: a cluster's other namespaces (their Secrets above all) cost
// nothing and are never held. ServiceAccount tokens come through TokenRequest, only for pods
// that project one. A change to a ConfigMap or Secret wakes the pods of its namespace waiting
// for one.
import type { V1ConfigMap, V1Secret, V1Service } from '@kubernetes/client-node';
import type { Logger } from '../log/logger.ts';
import { informer, type KubeApi, type ListWatchCache } from '../kube/list-watch-cache.ts';
import type { Pod } from '../kube/wire.ts';

interface NamespaceCaches {
  configMaps: ListWatchCache<V1ConfigMap>;
  secrets: ListWatchCache<V1Secret>;
  /** Settles once both have listed. */
  ready: Promise<void>;
}

export class ClusterLookups {
  readonly #client: KubeApi;
  readonly #log: Logger;
  readonly #onConfigChange: (namespace: string) => void;
  readonly #services: ListWatchCache<V1Service>;
  readonly #namespaces = new Map<string, NamespaceCaches>();
  #stopped = false;

  /** `onConfigChange(namespace)` is called when a ConfigMap or Secret of that namespace changes. */
  constructor(client: KubeApi, log: Logger, onConfigChange: (namespace: string) => void) {
    this.#client = client;
    this.#log = log;
    this.#onConfigChange = onConfigChange;
    this.#services = informer<V1Service>(client, '/api/v1/services', { log });
  }

  async start(): Promise<void> {
    await this.#services.start();
  }

  stop(): void {
    this.#stopped = true;
    this.#services.stop();
    for (const ns of this.#namespaces.values()) {
      ns.configMaps.stop();
      ns.secrets.stop();
    }
  }

  /** The namespaces whose ConfigMaps and Secrets are held (those that have had burst pods). */
  get namespaces(): string[] {
    return [...this.#namespaces.keys()];
  }

  /** Starts holding `namespace`'s ConfigMaps and Secrets (once); settles when they have listed. */
  ready(namespace: string): Promise<void> {
    let caches = this.#namespaces.get(namespace);
    if (!caches) {
      const wake = (): void => this.#onConfigChange(namespace);
      const configMaps = informer<V1ConfigMap>(this.#client, `/api/v1/namespaces/${namespace}/configmaps`, { onChange: wake, log: this.#log });
      const secrets = informer<V1Secret>(this.#client, `/api/v1/namespaces/${namespace}/secrets`, { onChange: wake, log: this.#log });
      const ready = this.#stopped ? Promise.resolve() : Promise.all([configMaps.start(), secrets.start()]).then(() => undefined);
      caches = { configMaps, secrets, ready };
      this.#namespaces.set(namespace, caches);
    }
    return caches.ready;
  }

  /** The lookups translatePod takes, for a pod of `namespace` (after ready(namespace)). */
  forNamespace(namespace: string): { configMaps: Map<string, V1ConfigMap>; secrets: Map<string, V1Secret>; services: V1Service[] } {
    const caches = this.#namespaces.get(namespace);
    const byName = <T extends { metadata?: { name?: string } }>(items: T[] = []): Map<string, T> => new Map(items.map((o) => [o.metadata!.name!, o]));
    return {
      configMaps: byName(caches?.configMaps.list()),
      secrets: byName(caches?.secrets.list()),
      services: this.#services.list().filter((s) => s.metadata?.namespace === namespace || s.metadata?.namespace === 'default'),
    };
  }

  /**
   * A token for the pod's projected serviceAccountToken source (TokenRequest bound to the pod),
   * or undefined when the pod projects none.
   */
  async serviceAccountToken(pod: Pod): Promise<string | undefined> {
    const source = (pod.spec?.volumes ?? [])
      .flatMap((v) => v.projected?.sources ?? [])
      .find((s) => s.serviceAccountToken)?.serviceAccountToken;
    if (!source) return undefined;
    const sa = pod.spec?.serviceAccountName || 'default';
    const ns = pod.metadata!.namespace!;
    const res = await this.#client.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, {
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          audiences: source.audience ? [source.audience] : [],
          expirationSeconds: source.expirationSeconds ?? 3607,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata!.name, uid: pod.metadata!.uid },
        },
      },
    });
    return res.status.token;
  }
}

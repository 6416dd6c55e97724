// What translation reads from the cluster: ConfigMaps, Secrets and Services through one
// informer each (three list+watch streams for the whole node instead of GETs per pod), and
// ServiceAccount tokens through TokenRequest, only for pods that project one. A change to a
// ConfigMap or Secret wakes the pods of its namespace that are waiting for one.
import type { V1ConfigMap, V1Secret, V1Service } from '@kubernetes/client-node';
import type { Logger } from '../log/logger.ts';
import { informer, type KubeApi, type ListWatchCache } from '../kube/list-watch-cache.ts';
import type { Pod } from '../kube/wire.ts';

export class ClusterLookups {
  readonly #client: KubeApi;
  readonly #configMaps: ListWatchCache<V1ConfigMap>;
  readonly #secrets: ListWatchCache<V1Secret>;
  readonly #services: ListWatchCache<V1Service>;

  /** `onConfigChange(namespace)` is called when a ConfigMap or Secret of that namespace changes. */
  constructor(client: KubeApi, log: Logger, onConfigChange: (namespace: string) => void) {
    this.#client = client;
    const wake = (key: string): void => onConfigChange(key.slice(0, key.indexOf('/')));
    this.#configMaps = informer<V1ConfigMap>(client, '/api/v1/configmaps', { onChange: wake, log });
    this.#secrets = informer<V1Secret>(client, '/api/v1/secrets', { onChange: wake, log });
    this.#services = informer<V1Service>(client, '/api/v1/services', { log });
  }

  async start(): Promise<void> {
    await Promise.all([this.#configMaps.start(), this.#secrets.start(), this.#services.start()]);
  }

  stop(): void {
    this.#configMaps.stop();
    this.#secrets.stop();
    this.#services.stop();
  }

  /** The lookups translatePod takes, for a pod of `namespace`. */
  forNamespace(namespace: string): { configMaps: Map<string, V1ConfigMap>; secrets: Map<string, V1Secret>; services: V1Service[] } {
    const inNs = <T extends { metadata?: { namespace?: string; name?: string } }>(items: T[]): Map<string, T> =>
      new Map(items.filter((o) => o.metadata?.namespace === namespace).map((o) => [o.metadata!.name!, o]));
    return {
      configMaps: inNs(this.#configMaps.list()),
      secrets: inNs(this.#secrets.list()),
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

// The zone nodes of the process, kept in line with the ConfigMap that declares them (CCE's
// kube-system/bursting-node), re-read whenever it changes: a zone added gets its node, a zone
// whose settings changed gets its node restarted with them, and a zone removed loses its node —
// its CCI pods deleted first, so none outlives the node that accounted for it. Zones removed
// while burstlet was down are found at start-up by the label their Nodes carry.
import { createHash } from 'node:crypto';
import type { V1ConfigMap, V1Node } from '@kubernetes/client-node';
import { ownerLabels } from '../cci/types.ts';
import { isNotFound } from '../kube/errors.ts';
import { informer, type ListWatchCache } from '../kube/list-watch-cache.ts';
import { errorMessage } from '../log/error-message.ts';
import type { NodeConfig } from '../provider/node/node-object.ts';
import { startNodeInstance, type NodeInstance, type SharedNodeParts } from './node-instance.ts';
import { zoneNodeProvider } from './node.ts';
import { parseZoneConfig, type ZoneNodeSpec } from './zone-config.ts';

export interface ZoneNodesOptions {
  shared: SharedNodeParts;
  /** The global node's configuration: zone nodes take its labels, taints and addresses. */
  global: Omit<NodeConfig, 'backend'>;
  /** The global node's instance: where a bad ConfigMap is told (a Warning event). */
  globalNode: NodeInstance;
  /** The ConfigMap declaring the zones, re-read on change; undefined = the flag's zones only. */
  configMap: { namespace: string; name: string } | undefined;
  /** Zones given by --zone-nodes, in the ConfigMap's keys; the ConfigMap's own keys win. */
  flagZones: Readonly<Record<string, string>>;
  healthPeriodMs: number;
  /** The process's nodes by name: zone nodes are added and removed here. */
  instances: Map<string, NodeInstance>;
}

const sameSpec = (a: ZoneNodeSpec, b: ZoneNodeSpec): boolean => JSON.stringify(a) === JSON.stringify(b);

/** On every zone Node: the global node it belongs to, so that a restart finds zones removed meanwhile. */
export const ZONE_NODE_OF_LABEL = 'burstlet.io/zone-node-of';

/** The global node's name as a label value (at most 63 characters): itself, or a digest of a longer one. */
export function zoneNodeOfValue(globalNode: string): string {
  return globalNode.length <= 63 ? globalNode : `h-${createHash('sha256').update(globalNode).digest('hex').slice(0, 40)}`;
}

export class ZoneNodes {
  readonly #o: ZoneNodesOptions;
  readonly #configMaps: ListWatchCache<V1ConfigMap> | undefined;
  readonly #running = new Map<string, { spec: ZoneNodeSpec; node: NodeInstance }>();
  #problems = '';
  /** Whether the zone Nodes left from before this process started have been looked for. */
  #swept = false;
  /** Reconciliations run one at a time, the last change always seen. */
  #queue: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(o: ZoneNodesOptions) {
    this.#o = o;
    this.#configMaps = o.configMap && informer<V1ConfigMap>(o.shared.kube, `/api/v1/namespaces/${o.configMap.namespace}/configmaps`, {
      query: { fieldSelector: `metadata.name=${o.configMap.name}` },
      onChange: () => this.#schedule(),
      log: o.shared.log.child({ component: 'zone-nodes' }),
    });
  }

  /** Starts the zone nodes the ConfigMap declares now; later changes follow. */
  async start(): Promise<void> {
    await this.#configMaps?.start();
    this.#schedule();
    await this.#queue;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#configMaps?.stop();
    await this.#queue;
    await Promise.all([...this.#running.values()].map((r) => r.node.stop()));
    this.#running.clear();
  }

  #schedule(): void {
    this.#queue = this.#queue.then(() => this.#reconcile()).catch((err: unknown) => {
      this.#o.shared.log.error({ err: errorMessage(err) }, 'zone nodes not brought in line with the ConfigMap; retried at its next change');
    });
  }

  async #reconcile(): Promise<void> {
    if (this.#stopped) return;
    const c = this.#o.configMap;
    const data = { ...this.#o.flagZones, ...(c ? this.#configMaps?.get(`${c.namespace}/${c.name}`)?.data : {}) };
    const { zones, problems } = parseZoneConfig(data, this.#o.global.name);
    this.#tellProblems(problems);
    const wanted = new Map(zones.map((z) => [z.nodeName, z]));
    if (!this.#swept) await this.#sweepLeftovers(wanted);
    for (const [nodeName, running] of [...this.#running]) {
      const spec = wanted.get(nodeName);
      if (spec && sameSpec(spec, running.spec)) continue;
      await running.node.stop();
      this.#running.delete(nodeName);
      this.#o.instances.delete(nodeName);
      if (!spec) await this.#retire(nodeName);
    }
    for (const spec of zones) {
      if (this.#running.has(spec.nodeName)) continue;
      const node = await this.#startZone(spec);
      this.#running.set(spec.nodeName, { spec, node });
      this.#o.instances.set(spec.nodeName, node);
    }
  }

  #startZone(spec: ZoneNodeSpec): Promise<NodeInstance> {
    const g = this.#o.global;
    const { shared, healthPeriodMs } = this.#o;
    return startNodeInstance(shared, {
      config: { ...g, name: spec.nodeName, zone: spec.zone, labels: { ...g.labels, 'failure-domain.beta.kubernetes.io/zone': spec.zone, [ZONE_NODE_OF_LABEL]: zoneNodeOfValue(g.name) } },
      ...(spec.networks[0] ? { defaultNetwork: spec.networks[0] } : {}),
      room: (ourPods, onError) => zoneNodeProvider(shared.cci, spec, ourPods, onError, healthPeriodMs),
    });
  }

  /**
   * Zone Nodes of this global node that no zone wants any more (removed from the ConfigMap while
   * burstlet was down) are retired as a removal seen live would be. A failure is logged and the
   * search is made again at the next reconciliation; the wanted zones start meanwhile.
   */
  async #sweepLeftovers(wanted: ReadonlyMap<string, ZoneNodeSpec>): Promise<void> {
    const { shared } = this.#o;
    try {
      const selector = `${ZONE_NODE_OF_LABEL}=${zoneNodeOfValue(this.#o.global.name)}`;
      const nodes = await shared.kube.request<{ items: V1Node[] }>('GET', '/api/v1/nodes', { query: { labelSelector: selector } });
      for (const name of nodes.items.map((n) => n.metadata?.name ?? '')) {
        if (name === '' || wanted.has(name) || this.#running.has(name)) continue;
        await this.#retire(name, 'its zone left the ConfigMap while burstlet was not running');
      }
      this.#swept = true;
    } catch (err) {
      shared.log.warn({ err: errorMessage(err) }, 'zone nodes left from an earlier configuration not looked for; tried again at the next ConfigMap change');
    }
  }

  /** A zone taken out of the ConfigMap: its CCI pods go, then its Node (whose pods the API server's pod GC removes). */
  async #retire(nodeName: string, why = 'its zone left the ConfigMap'): Promise<void> {
    const { shared } = this.#o;
    const ours = shared.view.pods.list().filter((p) => p.metadata.labels?.[ownerLabels.node] === nodeName && p.metadata.labels?.[ownerLabels.cluster] === shared.clusterId);
    for (const pod of ours) {
      try {
        await shared.cci.deletePod(pod.metadata.name, 0);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    try {
      await shared.kube.request('DELETE', `/api/v1/nodes/${nodeName}`);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    shared.log.info({ node: nodeName, cciPods: ours.length }, `zone node removed: ${why}`);
  }

  #tellProblems(problems: string[]): void {
    const text = problems.join('; ');
    if (text === this.#problems) return;
    this.#problems = text;
    if (problems.length === 0) return;
    const c = this.#o.configMap;
    const message = `${c ? `ConfigMap ${c.namespace}/${c.name} (and --zone-nodes)` : '--zone-nodes'}: ${text}`;
    this.#o.shared.log.warn({ problems }, 'zone node settings ignored');
    const g = this.#o.globalNode;
    g.events.record({ kind: 'Node', namespace: '', name: g.name, uid: g.name }, 'Warning', 'ZoneConfigInvalid', message);
  }
}

// The node controller: registers the Node, renews its Lease, and keeps its status true to the
// provider: capacity as it reports it, Ready=False (<backend>Unreachable) while it cannot be
// reached. Status is written when it changes and at least every `reportMs`.
import type { Logger } from '../../log/logger.ts';
import type { KubeClient } from '../../kube/client.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../../kube/errors.ts';
import { rfc3339, type Node, type NodeStatus } from '../../kube/wire.ts';
import { errorMessage } from '../../log/error-message.ts';
import type { EventRecorder } from '../events.ts';
import { CORDONED_BY_ANNOTATION, nodeObject, nodeStatus, nodeStatusChanged, type BackendHealth, type NodeConfig, type NodeResources } from './node-object.ts';

/** The kubelet's lease controller's maxUpdateRetries. */
const LEASE_UPDATE_RETRIES = 5;

/** What the node controller asks of whatever runs the pods. */
export interface NodeProvider {
  /** The node's room for pods now; throws when the backend cannot be reached. */
  resources(): Promise<NodeResources>;
}

export interface NodeControllerOptions {
  kube: Pick<KubeClient, 'request'>;
  provider: NodeProvider;
  config: NodeConfig;
  /** How often the provider is asked and the status recomputed (kubelet's nodeStatusUpdateFrequency). */
  updateMs: number;
  /** Longest time between status writes (kubelet's nodeStatusReportFrequency). */
  reportMs: number;
  leaseRenewMs: number;
  leaseDurationSeconds: number;
  log: Logger;
  /** Where a provider condition's change is told (a Warning when it turns True). */
  events?: Pick<EventRecorder, 'record'>;
}

interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

interface Lease {
  metadata: { name: string; namespace: string; resourceVersion?: string; ownerReferences?: OwnerReference[] };
  spec: { holderIdentity: string; leaseDurationSeconds: number; renewTime?: string; acquireTime?: string };
}

/** Microsecond timestamps, as the Lease API's MicroTime. */
function microTime(date: Date): string {
  return date.toISOString().replace(/Z$/, '000Z');
}

export class NodeController {
  readonly #o: NodeControllerOptions;
  #node: Node | undefined;
  #lastWrite = -Infinity;
  #lease: Lease | undefined;
  #timers: NodeJS.Timeout[] = [];
  #health: BackendHealth = { reachable: true };

  /** A Lease was held: one missing later was taken away, as the garbage collector does with a deleted Node's. */
  #leaseHeld = false;

  constructor(options: NodeControllerOptions) {
    this.#o = options;
  }

  get health(): BackendHealth {
    return this.#health;
  }

  /** Registers the node (or takes over its existing object), writes a first status, starts the loops. */
  async start(): Promise<void> {
    await this.#register();
    await this.updateStatus();
    await this.renewLease();
    const loop = (fn: () => Promise<void>, ms: number, what: string): NodeJS.Timeout => {
      let running = false;
      return setInterval(() => {
        if (running) return;
        running = true;
        fn()
          .catch((err: unknown) => this.#o.log.warn({ err: errorMessage(err) }, `${what} failed`))
          .finally(() => (running = false));
      }, ms);
    };
    this.#timers = [loop(() => this.updateStatus(), this.#o.updateMs, 'node status update'), loop(() => this.renewLease(), this.#o.leaseRenewMs, 'lease renewal')];
  }

  stop(): void {
    for (const t of this.#timers) clearInterval(t);
  }

  async #register(): Promise<void> {
    const { kube, config } = this.#o;
    const wanted = nodeObject(config);
    try {
      this.#node = await kube.request<Node>('POST', '/api/v1/nodes', { body: wanted });
      this.#o.log.info({ node: config.name }, 'node registered');
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // Already registered (a restart): bring labels and taints in line with the flags.
      this.#node = await kube.request<Node>('PATCH', `/api/v1/nodes/${config.name}`, {
        body: { metadata: { labels: wanted.metadata!.labels }, spec: { taints: wanted.spec!.taints } },
        contentType: 'application/merge-patch+json',
      });
      this.#o.log.info({ node: config.name }, 'node already registered; labels and taints updated');
    }
  }

  async #probe(): Promise<{ room: NodeResources | undefined; health: BackendHealth }> {
    try {
      return { room: await this.#o.provider.resources(), health: { reachable: true } };
    } catch (err) {
      return { room: undefined, health: { reachable: false, message: errorMessage(err) } };
    }
  }

  /** Recomputes the status from the provider; writes it if it changed or the report period has passed. */
  async updateStatus(): Promise<void> {
    const { room, health } = await this.#probe();
    if (health.reachable !== this.#health.reachable) {
      const backend = this.#o.config.backend.name;
      this.#o.log[health.reachable ? 'info' : 'warn']({ ...health }, health.reachable ? `${backend} reachable again` : `${backend} unreachable`);
    }
    this.#health = health;
    const previous = this.#node?.status;
    const next = nodeStatus(this.#o.config, room, health, previous, rfc3339(new Date()));
    const due = performance.now() - this.#lastWrite >= this.#o.reportMs;
    if (due || nodeStatusChanged(previous, next)) {
      await this.#writeStatus(next);
      if (room) this.#tellConditionChanges(room, previous);
    }
    if (room) await this.#followCordon(room);
  }

  /**
   * Cordons the node while the provider asks (spec.unschedulable, marked as burstlet's), and lifts
   * only a cordon burstlet set: an operator's `kubectl cordon` stays.
   */
  async #followCordon(room: NodeResources): Promise<void> {
    const node = this.#node;
    const ours = node?.metadata?.annotations?.[CORDONED_BY_ANNOTATION];
    let patch: { metadata: { annotations: Record<string, string | null> }; spec: { unschedulable: boolean | null } } | undefined;
    if (room.cordon && node?.spec?.unschedulable !== true) patch = { metadata: { annotations: { [CORDONED_BY_ANNOTATION]: room.cordon.reason } }, spec: { unschedulable: true } };
    else if (!room.cordon && ours !== undefined) patch = { metadata: { annotations: { [CORDONED_BY_ANNOTATION]: null } }, spec: { unschedulable: null } };
    if (!patch) return;
    this.#node = await this.#o.kube.request<Node>('PATCH', `/api/v1/nodes/${this.#o.config.name}`, { body: patch, contentType: 'application/merge-patch+json' });
    this.#o.log.warn({ node: this.#o.config.name, cordon: room.cordon ?? null }, room.cordon ? 'node cordoned' : 'node uncordoned');
  }

  /** A provider condition that turned True gets a Warning event, one back to False a Normal one. */
  #tellConditionChanges(room: NodeResources, previous: NodeStatus | undefined): void {
    const node = this.#node?.metadata;
    if (!this.#o.events || !node?.uid) return;
    for (const c of room.conditions ?? []) {
      const before = previous?.conditions?.find((p) => p.type === c.type)?.status ?? 'False';
      if (before === c.status) continue;
      const target = { kind: 'Node', namespace: '', name: this.#o.config.name, uid: node.uid };
      this.#o.events.record(target, c.status === 'True' ? 'Warning' : 'Normal', c.reason, c.message);
    }
  }

  async #writeStatus(status: NodeStatus): Promise<void> {
    const write = (): Promise<Node> => this.#o.kube.request<Node>('PATCH', `/api/v1/nodes/${this.#o.config.name}/status`, {
      body: { status },
      contentType: 'application/merge-patch+json',
    });
    try {
      this.#node = await write();
    } catch (err) {
      if (!isNotFound(err)) throw err;
      // Someone deleted the Node object: register it again, as virtual-kubelet does, so the
      // scheduler sees the node and its pods' node exists; its old Lease goes with the old object.
      this.#o.log.warn({ node: this.#o.config.name }, 'node object deleted; registering it again');
      await this.#register();
      this.#lease = undefined;
      this.#node = await write();
    }
    this.#lastWrite = performance.now();
  }

  /**
   * The Lease this node held is gone (a renewal's PUT, carrying its uid, was refused and a read
   * found none): the garbage collector takes it when the Node object is deleted. A status written
   * now says whether the Node still exists (a 404 registers it again, with no right to read Nodes
   * needed) before a Lease owned by it is created. A deleted Node is so back within a lease
   * renewal rather than at the next status report (up to --node-status-report-frequency, 60 s),
   * with its status: without one it is NotReady.
   */
  async #ensureRegistered(): Promise<void> {
    this.#lastWrite = Number.NEGATIVE_INFINITY;
    await this.updateStatus();
  }

  /**
   * Creates or renews the node's Lease in kube-node-lease. A write that lost to another (the
   * previous process of a restarted node renewing on its way out) reads the Lease again and
   * retries, up to 5 times as the kubelet's lease controller does; it failed the start before.
   */
  async renewLease(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#renewLeaseOnce();
      } catch (err) {
        if (!(isConflict(err) || isAlreadyExists(err)) || attempt >= LEASE_UPDATE_RETRIES) throw err;
      }
    }
  }

  #owner(): OwnerReference {
    return { apiVersion: 'v1', kind: 'Node', name: this.#o.config.name, uid: this.#node?.metadata?.uid ?? '' };
  }

  async #renewLeaseOnce(): Promise<void> {
    const { kube, config } = this.#o;
    const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${config.name}`;
    const now = microTime(new Date());
    if (!this.#lease) {
      try {
        this.#lease = await kube.request<Lease>('GET', path);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        if (this.#leaseHeld) await this.#ensureRegistered();
        this.#lease = await kube.request<Lease>('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: {
              name: config.name,
              namespace: 'kube-node-lease',
              ownerReferences: [this.#owner()],
            },
            spec: { holderIdentity: config.name, leaseDurationSeconds: this.#o.leaseDurationSeconds, acquireTime: now, renewTime: now },
          },
        });
        this.#leaseHeld = true;
        return;
      }
    }
    const body: Lease = { ...this.#lease, spec: { ...this.#lease.spec, holderIdentity: config.name, leaseDurationSeconds: this.#o.leaseDurationSeconds, renewTime: now } };
    const uid = this.#node?.metadata?.uid;
    // A Lease of a Node object since deleted and registered again belongs to the new one.
    if (uid && this.#lease.metadata.ownerReferences?.length && !this.#lease.metadata.ownerReferences.some((o) => o.uid === uid)) {
      body.metadata = { ...body.metadata, ownerReferences: [this.#owner()] };
    }
    try {
      this.#lease = await kube.request<Lease>('PUT', path, { body });
      this.#leaseHeld = true;
    } catch (err) {
      // Someone else wrote it (or it was deleted): read it again next time.
      this.#lease = undefined;
      throw err;
    }
  }
}

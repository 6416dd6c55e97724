// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it: the
// holder renews every `retryMs`; another candidate takes the Lease only after seeing it unchanged
// for a whole leaseDurationSeconds on its own clock (never by comparing clocks across machines);
// a leader that cannot renew within `renewDeadlineMs` steps down before anyone may take over;
// stopping releases the Lease so a standby takes over at once. Every write carries the
// resourceVersion it read, so two candidates never both win.
import type { Logger } from '../log/logger.ts';
import type { KubeClient } from './client.ts';
import { errorMessage } from '../log/error-message.ts';
import { isAlreadyExists, isConflict, isNotFound } from './errors.ts';
import { systemClock, type Clock } from './clock.ts';

interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

/** Where the Lease is and the election's timings (kube-controller-manager's --leader-elect-* flags). */
export interface LeaderElectionConfig {
  namespace: string;
  name: string;
  leaseDurationSeconds: number;
  renewDeadlineMs: number;
  retryMs: number;
}

export interface LeaderElectionOptions {
  kube: Pick<KubeClient, 'request'>;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryMs?: number;
  /** Called on becoming leader; the signal aborts when leadership ends. */
  onStartedLeading: (signal: AbortSignal) => void;
  onStoppedLeading?: () => void;
  clock?: Clock;
  log: Logger;
}

/** Kubernetes MicroTime. */
const microTime = (): string => new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export class LeaderElector {
  readonly #o: Required<Omit<LeaderElectionOptions, 'onStoppedLeading'>> & Pick<LeaderElectionOptions, 'onStoppedLeading'>;
  readonly #path: string;
  /** The Lease's resourceVersion as last seen, and when (our clock) it last changed: any renewal changes it. */
  #observed: { version: string; at: number } | undefined;
  #leading: AbortController | undefined;
  #lastRenew = 0;
  #cancel: (() => void) | undefined;
  #stopped = false;

  constructor(o: LeaderElectionOptions) {
    this.#o = { leaseDurationSeconds: 15, renewDeadlineMs: 10_000, retryMs: 2_000, clock: systemClock, ...o };
    this.#path = `/apis/coordination.k8s.io/v1/namespaces/${o.namespace}/leases/${o.name}`;
  }

  get isLeader(): boolean {
    return this.#leading !== undefined;
  }

  start(): void {
    void this.#tick();
  }

  /** Steps down and, when leading, releases the Lease so that a standby takes over at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancel?.();
    if (!this.#leading) return;
    this.#stepDown();
    try {
      const lease = await this.#o.kube.request<Lease>('GET', this.#path);
      if (lease.spec?.holderIdentity !== this.#o.identity) return;
      await this.#o.kube.request('PUT', this.#path, { body: { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime() } } });
    } catch (err) {
      this.#o.log.debug({ err: errorMessage(err) }, 'lease not released');
    }
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    const { clock, retryMs, renewDeadlineMs, log } = this.#o;
    try {
      const held = await this.#tryAcquireOrRenew();
      if (held) {
        this.#lastRenew = clock.now();
        if (!this.#leading && !this.#stopped) {
          this.#leading = new AbortController();
          log.info({ lease: `${this.#o.namespace}/${this.#o.name}`, identity: this.#o.identity }, 'became leader');
          this.#o.onStartedLeading(this.#leading.signal);
        }
      } else if (this.#leading) {
        this.#stepDown();
      }
    } catch (err) {
      log.warn({ err: errorMessage(err) }, 'leader election: lease request failed');
      if (this.#leading && clock.now() - this.#lastRenew > renewDeadlineMs) this.#stepDown();
    }
    if (!this.#stopped) this.#cancel = clock.after(retryMs, () => void this.#tick());
  }

  #stepDown(): void {
    const leading = this.#leading;
    if (!leading) return;
    this.#leading = undefined;
    this.#o.log.info({ identity: this.#o.identity }, 'leadership lost');
    leading.abort();
    this.#o.onStoppedLeading?.();
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { kube, identity, clock, leaseDurationSeconds } = this.#o;
    const now = microTime();
    let lease: Lease | undefined;
    try {
      lease = await kube.request<Lease>('GET', this.#path);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!lease) {
      const body: Lease = {
        apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.#o.name, namespace: this.#o.namespace },
        spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
      };
      return this.#write('POST', `/apis/coordination.k8s.io/v1/namespaces/${this.#o.namespace}/leases`, body);
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const version = lease.metadata?.resourceVersion ?? '';
    if (this.#observed?.version !== version) this.#observed = { version, at: clock.now() };
    const duration = (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    const heldByOther = holder !== '' && holder !== identity && clock.now() - this.#observed.at < duration;
    if (heldByOther) return false;
    const mine = holder === identity;
    return this.#write('PUT', this.#path, {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds,
        renewTime: now,
        acquireTime: mine ? spec.acquireTime : now,
        leaseTransitions: mine ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
      },
    });
  }

  /** A write that lost a race (409) means someone else holds the Lease now. */
  async #write(method: 'POST' | 'PUT', path: string, body: Lease): Promise<boolean> {
    try {
      await this.#o.kube.request(method, path, { body });
      return true;
    } catch (err) {
      if (isConflict(err) || isAlreadyExists(err)) return false;
      throw err;
    }
  }
}

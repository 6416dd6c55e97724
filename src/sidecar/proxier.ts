// Userspace mode (service-proxy.ts): the listener set, reconciled to the forwarding table after every directory update: new
// ClusterIP:ports get an address, a listener on ClusterIP:<a port of its own> and a DNAT rule
// to it (dnat.ts: never the Service port itself, which the app may hold), removed ones lose
// all three, and existing ones keep their listener and port and only get their balancer
// updated (established connections and flows are left alone).
import type { Logger } from '../log/logger.ts';
import type { AddressManager } from './addresses.ts';
import { Balancer } from './balancer.ts';
import { preferredListenerPort, type DnatRule, type ServiceNat } from './dnat.ts';
import type { ForwardingEntry } from './rules.ts';
import { TcpServicePort } from './tcp-proxy.ts';
import { UdpServicePort } from './udp-proxy.ts';
import { errorMessage } from '../log/error-message.ts';
import { LatestApply } from './latest-apply.ts';
import type { ServiceProxy } from './service-proxy.ts';

export interface ProxierOptions {
  addresses: AddressManager;
  nat: ServiceNat;
  log: Logger;
  dialTimeoutMs?: number;
  udpIdleTimeoutMs?: number;
  /** Listeners that could not start are retried after this long, even without a new table. */
  retryMs?: number;
}

interface Active {
  entry: ForwardingEntry;
  balancer: Balancer;
  listener: TcpServicePort | UdpServicePort;
}

export class Proxier implements ServiceProxy {
  readonly #active = new Map<string, Active>();
  /** Entries whose listener could not start, retried on the next reconcile. */
  readonly #failed = new Set<string>();
  /** ClusterIPs this proxier added to the namespace. */
  readonly #addresses = new Set<string>();
  /** The DNAT rules for the last reconciled table could not be installed. */
  #natFailed = false;
  readonly #opts: Required<ProxierOptions>;
  readonly #applier: LatestApply<ReadonlyMap<string, ForwardingEntry>>;

  constructor(opts: ProxierOptions) {
    this.#opts = { dialTimeoutMs: 1000, udpIdleTimeoutMs: 30_000, retryMs: 2000, ...opts };
    this.#applier = new LatestApply((table) => this.#reconcile(table), this.#opts.retryMs);
  }

  /** True when every entry of the last applied table has its listener up. */
  get ready(): boolean {
    return this.#applier.settled;
  }

  get servicePortCount(): number {
    return this.#active.size;
  }

  apply(table: ReadonlyMap<string, ForwardingEntry>): Promise<void> {
    return this.#applier.apply(table);
  }

  async close(): Promise<void> {
    await this.apply(new Map());
    this.#applier.stop();
  }

  /** Resolves false when a listener or the DNAT rules could not be installed (retried). */
  async #reconcile(table: ReadonlyMap<string, ForwardingEntry>): Promise<boolean> {
    const { log } = this.#opts;
    // New listeners and their rules go in before removed ones go, so an update never opens a
    // window where a Service that stays is unreachable.
    const wanted = new Set([...table.values()].map((e) => e.clusterIP));
    const missing = [...wanted].filter((ip) => !this.#addresses.has(ip));
    let addError: unknown;
    if (missing.length > 0) {
      try {
        await this.#opts.addresses.add(missing);
        for (const ip of missing) this.#addresses.add(ip);
      } catch (err) {
        addError = err;
      }
    }
    this.#failed.clear();
    for (const [key, entry] of table) {
      const active = this.#active.get(key);
      if (active) {
        active.entry = entry;
        active.balancer.update(entry.backends, entry.affinitySeconds);
        if (active.listener instanceof UdpServicePort) active.listener.backendsChanged();
        continue;
      }
      try {
        if (!this.#addresses.has(entry.clusterIP)) throw addError;
        await this.#start(key, entry);
      } catch (err) {
        this.#failed.add(key);
        log.error({ key, err: errorMessage(err) }, 'could not start a listener; retrying');
      }
    }
    const rules: DnatRule[] = [...table.keys()].sort().flatMap((key) => {
      const active = this.#active.get(key);
      if (!active) return [];
      const { clusterIP, port, protocol } = active.entry;
      return [{ clusterIP, port, protocol, localPort: active.listener.localPort }];
    });
    try {
      await this.#opts.nat.apply(rules);
      this.#natFailed = false;
    } catch (err) {
      this.#natFailed = true;
      log.error({ err: errorMessage(err) }, 'the DNAT rules could not be installed');
    }
    for (const [key, active] of this.#active) {
      if (table.has(key)) continue;
      this.#active.delete(key);
      await active.listener.close();
      log.info({ servicePort: active.entry.servicePort, key }, 'listener removed');
    }
    const gone = [...this.#addresses].filter((ip) => !wanted.has(ip));
    if (gone.length > 0) {
      for (const ip of gone) this.#addresses.delete(ip);
      await this.#opts.addresses.remove(gone).catch((err: unknown) => log.warn({ ips: gone, err: String(err) }, 'could not remove ClusterIP addresses'));
    }
    return this.#failed.size === 0 && !this.#natFailed;
  }

  async #start(key: string, entry: ForwardingEntry): Promise<void> {
    const { log } = this.#opts;
    const balancer = new Balancer();
    balancer.update(entry.backends, entry.affinitySeconds);
    const preferred = preferredListenerPort(key);
    const listener = await this.#listen(entry, balancer, preferred === entry.port ? 0 : preferred)
      .catch(() => this.#listen(entry, balancer, 0));
    this.#active.set(key, { entry, balancer, listener });
    log.info({ servicePort: entry.servicePort, key, localPort: listener.localPort, backends: entry.backends.length }, 'listener added');
  }

  async #listen(entry: ForwardingEntry, balancer: Balancer, port: number): Promise<TcpServicePort | UdpServicePort> {
    const { log, dialTimeoutMs, udpIdleTimeoutMs } = this.#opts;
    const listener =
      entry.protocol === 'TCP'
        ? new TcpServicePort(entry.servicePort, balancer, { dialTimeoutMs, log })
        : new UdpServicePort(entry.servicePort, entry.clusterIP, balancer, { idleTimeoutMs: udpIdleTimeoutMs, log });
    await listener.listen(entry.clusterIP, port);
    return listener;
  }
}

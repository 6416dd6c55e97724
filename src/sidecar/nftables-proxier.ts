// nftables mode (service-proxy.ts): each forwarding table becomes one nft transaction
// (nft-services.ts), then the UDP conntrack entries of endpoints that left are deleted
// (conntrack.ts). The sidecar forwards no byte itself.
import type { Logger } from '../log/logger.ts';
import { errorMessage } from '../log/error-message.ts';
import { conntrackDelete, staleUdpFlows, type ConntrackDelete } from './conntrack.ts';
import { LatestApply } from './latest-apply.ts';
import { nft as runNft, NFT_TABLE, type NftRunner } from './nft.ts';
import { servicesUpdate, type NftObjects } from './nft-services.ts';
import type { ForwardingEntry } from './rules.ts';
import type { ServiceProxy } from './service-proxy.ts';

export interface NftablesProxierOptions {
  log: Logger;
  nft?: NftRunner;
  conntrack?: ConntrackDelete;
  table?: string;
  /** A table that could not be installed is retried after this long, even without a new one. */
  retryMs?: number;
}

export class NftablesProxier implements ServiceProxy {
  readonly #log: Logger;
  readonly #nft: NftRunner;
  readonly #conntrack: ConntrackDelete;
  readonly #table: string;
  readonly #applier: LatestApply<ReadonlyMap<string, ForwardingEntry>>;
  /** What the last successful transaction created, and the table it installed. */
  #objects: NftObjects | null = null;
  #installed: ReadonlyMap<string, ForwardingEntry> = new Map();

  constructor(opts: NftablesProxierOptions) {
    this.#log = opts.log;
    this.#nft = opts.nft ?? runNft;
    this.#conntrack = opts.conntrack ?? conntrackDelete;
    this.#table = opts.table ?? NFT_TABLE;
    this.#applier = new LatestApply((table) => this.#reconcile(table), opts.retryMs ?? 2000);
  }

  get ready(): boolean {
    return this.#applier.settled;
  }

  get servicePortCount(): number {
    return this.#installed.size;
  }

  apply(table: ReadonlyMap<string, ForwardingEntry>): Promise<void> {
    return this.#applier.apply(table);
  }

  async close(): Promise<void> {
    // Through the applier, so no reconcile in flight re-installs rules after the tables went.
    await this.apply(new Map());
    this.#applier.stop();
    const drop = ['ip', 'ip6'].map((f) => `add table ${f} ${this.#table}\ndelete table ${f} ${this.#table}\n`).join('');
    await this.#nft(drop).catch((err: unknown) => this.#log.warn({ err: errorMessage(err) }, 'could not remove the nftables rules'));
    this.#objects = null;
  }

  async #reconcile(table: ReadonlyMap<string, ForwardingEntry>): Promise<boolean> {
    const update = servicesUpdate(table, this.#objects, this.#table);
    try {
      await this.#nft(update.script);
    } catch (err) {
      this.#log.error({ err: errorMessage(err) }, 'the nftables rules could not be installed; retrying');
      return false;
    }
    const before = this.#installed;
    this.#objects = update.objects;
    this.#installed = table;
    const stale = staleUdpFlows(before, table);
    // A failure leaves flows to a gone endpoint until conntrack times them out: logged, not retried.
    await Promise.all(stale.map((f) => this.#conntrack(f).catch((err: unknown) => {
      this.#log.error({ err: errorMessage(err), clusterIP: f.clusterIP, port: f.port, backend: f.backend }, 'could not delete UDP conntrack entries');
    })));
    if (stale.length > 0) this.#log.debug({ flows: stale.length }, 'UDP conntrack entries of gone endpoints deleted');
    return true;
  }
}

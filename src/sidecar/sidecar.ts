// The sidecar as a whole: the directory client feeds the proxier, and a health endpoint tells
// the pod's readiness probe when there is a table and every listener is up.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/logger.ts';
import type { AddressManager } from './addresses.ts';
import type { ServiceNat } from './dnat.ts';
import { DirectoryClient } from './directory-client.ts';
import { Proxier } from './proxier.ts';

export interface SidecarOptions {
  directoryUrl: string;
  podUid: string;
  credential: string;
  ca?: string;
  addresses: AddressManager;
  /** DNAT from ClusterIP:port to the listeners' own ports (nftablesDnat() in a pod). */
  nat: ServiceNat;
  log: Logger;
  /** Host and port of the health endpoint; port 0 picks one; null turns it off. */
  health: { host: string; port: number } | null;
  udpIdleTimeoutMs?: number;
  dialTimeoutMs?: number;
}

export interface RunningSidecar {
  readonly healthy: boolean;
  readonly healthPort: number | null;
  readonly proxier: Proxier;
  stop(): Promise<void>;
}

export async function startSidecar(opts: SidecarOptions): Promise<RunningSidecar> {
  const { log } = opts;
  const proxier = new Proxier({
    addresses: opts.addresses,
    nat: opts.nat,
    log,
    ...(opts.udpIdleTimeoutMs !== undefined ? { udpIdleTimeoutMs: opts.udpIdleTimeoutMs } : {}),
    ...(opts.dialTimeoutMs !== undefined ? { dialTimeoutMs: opts.dialTimeoutMs } : {}),
  });
  const client = new DirectoryClient({
    url: opts.directoryUrl,
    podUid: opts.podUid,
    credential: opts.credential,
    ...(opts.ca ? { ca: opts.ca } : {}),
    log,
    onTable: (table) => {
      proxier.apply(table).catch((err: unknown) => log.error({ err: String(err) }, 'applying the forwarding table failed'));
    },
  });
  const isHealthy = (): boolean => client.replica.hasState && proxier.ready;

  let health: http.Server | null = null;
  if (opts.health) {
    health = http.createServer((_req, res) => {
      const ok = isHealthy();
      const body = ok
        ? `ok: revision ${client.replica.revision}, ${proxier.listenerCount} listeners\n`
        : client.replica.hasState ? 'not ready: listeners starting\n' : 'not ready: no service directory snapshot yet\n';
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(body);
    });
    const { host, port } = opts.health;
    await new Promise<void>((resolve, reject) => {
      health!.once('error', reject);
      health!.listen(port, host, () => resolve());
    });
  }
  client.start();
  return {
    get healthy() {
      return isHealthy();
    },
    healthPort: health ? (health.address() as AddressInfo).port : null,
    proxier,
    async stop() {
      client.stop();
      health?.close();
      await proxier.close();
    },
  };
}

// The sidecar as a whole: the directory client feeds the service proxy (either mode), and a
// health endpoint tells the pod's readiness probe when there is a table and it is in force.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/logger.ts';
import { DirectoryClient } from './directory-client.ts';
import type { ServiceRef } from '../network/service-ref.ts';
import type { ServiceProxy } from './service-proxy.ts';

export interface SidecarOptions {
  directoryUrl: string;
  /** Where else the directory may be served (burstlet's replicas), tried when directoryUrl fails. */
  directoryService?: ServiceRef;
  podUid: string;
  credential: string;
  ca?: string;
  /** Where the tables go: NftablesProxier or (userspace) Proxier. */
  proxy: ServiceProxy;
  log: Logger;
  /** Host and port of the health endpoint; port 0 picks one; null turns it off. */
  health: { host: string; port: number } | null;
}

export interface RunningSidecar {
  readonly healthy: boolean;
  readonly healthPort: number | null;
  readonly proxy: ServiceProxy;
  stop(): Promise<void>;
}

export async function startSidecar(opts: SidecarOptions): Promise<RunningSidecar> {
  const { log, proxy } = opts;
  const client = new DirectoryClient({
    url: opts.directoryUrl,
    ...(opts.directoryService ? { fallbackService: opts.directoryService } : {}),
    podUid: opts.podUid,
    credential: opts.credential,
    ...(opts.ca ? { ca: opts.ca } : {}),
    log,
    onTable: (table) => {
      proxy.apply(table).catch((err: unknown) => log.error({ err: String(err) }, 'applying the forwarding table failed'));
    },
  });
  const isHealthy = (): boolean => client.replica.hasState && proxy.ready;

  let health: http.Server | null = null;
  if (opts.health) {
    health = http.createServer((_req, res) => {
      const ok = isHealthy();
      const body = ok
        ? `ok: revision ${client.replica.revision}, ${proxy.servicePortCount} service ports\n`
        : client.replica.hasState ? 'not ready: service ports being installed\n' : 'not ready: no service directory snapshot yet\n';
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
    proxy,
    async stop() {
      client.stop();
      health?.close();
      await proxy.close();
    },
  };
}

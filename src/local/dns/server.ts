// `startClusterDns`: the local environment's kube-dns. Watches Services and EndpointSlices,
// rebuilds the answer snapshot when they change, and serves it over UDP and TCP.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import type { Logger } from '../../log/logger.ts';
import { KubeClient, loadKubeConfig } from '../../kube/client.ts';
import { informer } from '../../kube/list-watch-cache.ts';
import { answer } from './answer.ts';
import { buildSnapshot, type DnsSnapshot } from './snapshot.ts';
import { listenDns } from './transport.ts';

export interface ClusterDnsOptions {
  kubeconfigPath: string;
  listen: { host: string; port: number };
  /** The cluster domain, e.g. "cluster.local". */
  domain: string;
  logger: Logger;
}

export interface ClusterDns {
  /** The bound port, the same for UDP and TCP. */
  port: number;
  stop(): Promise<void>;
}

export async function startClusterDns(options: ClusterDnsOptions): Promise<ClusterDns> {
  const log = options.logger.child({ component: 'cluster-dns' });
  const client = await KubeClient.create(loadKubeConfig(options.kubeconfigPath));
  let snapshot: DnsSnapshot | undefined;
  let serial = Math.floor(Date.now() / 1000);
  // Rebuilt lazily: a burst of watch events costs one rebuild, at the next query.
  const invalidate = (): void => {
    snapshot = undefined;
  };
  const services = informer<V1Service>(client, '/api/v1/services', { onChange: invalidate, log });
  const slices = informer<V1EndpointSlice>(client, '/apis/discovery.k8s.io/v1/endpointslices', { onChange: invalidate, log });
  await Promise.all([services.start(), slices.start()]);
  const current = (): DnsSnapshot => {
    if (!snapshot) {
      serial = Math.max(serial + 1, Math.floor(Date.now() / 1000));
      snapshot = buildSnapshot(options.domain, services.list(), slices.list(), serial);
    }
    return snapshot;
  };
  const listener = await listenDns(options.listen, (query) => answer(query, current()), log);
  log.info({ host: options.listen.host, port: listener.port, domain: options.domain }, 'cluster DNS serving');
  return {
    port: listener.port,
    async stop() {
      await listener.close();
      services.stop();
      slices.stop();
      await client.close();
    },
  };
}

// The local control plane as one unit: the API server with its pod proxy, the scheduler, the
// EndpointSlice controller, the workload controllers (Deployments, ReplicaSets, StatefulSets,
// Jobs, garbage collection) and the cluster DNS server behind the kube-dns Service. The nodes
// (mock CCI backends and virtual nodes) are separate processes: see nodes.ts.
import type { Logger } from '../log/logger.ts';
import { startApiServer, type ApiServer, type ApiServerExtension } from './apiserver/index.ts';
import { startClusterDns } from './dns/server.ts';
import { registerKubeDnsService } from './dns/kube-dns-service.ts';
import { startEndpointSliceController } from './endpointslices/controller.ts';
import { podProxyExtension } from './proxy/index.ts';
import { startScheduler } from './scheduler/scheduler.ts';
import { startWorkloadControllers } from './workloads/controller.ts';

export interface ControlPlaneOptions {
  stateDir: string;
  host?: string;
  port?: number;
  logger: Logger;
  extensions?: ApiServerExtension[];
  clusterDomain?: string;
  /** Where the cluster DNS server listens; pods reach it through the kube-dns Service. */
  dns?: { host: string; port: number };
}

export interface ControlPlane {
  apiServer: ApiServer;
  url: string;
  kubeconfigPath: string;
  dns: { host: string; port: number };
  /** Stops everything, last started first. */
  close(): Promise<void>;
}

export async function startLocalControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const apiServer = await startApiServer({
    stateDir: opts.stateDir,
    host: opts.host,
    port: opts.port,
    logger: opts.logger.child({ component: 'apiserver' }),
    // Pod log/exec/attach/portforward reach kubelets; burstlet nodes may serve self-signed certs.
    extensions: [podProxyExtension({ allowUnverifiedKubelets: true, logger: opts.logger.child({ component: 'pod-proxy' }) }), ...(opts.extensions ?? [])],
  });
  const stops: (() => Promise<void>)[] = [() => apiServer.close()];
  const started = async <T extends { stop(): Promise<void> }>(handle: Promise<T>): Promise<T> => {
    const h = await handle;
    stops.push(() => h.stop());
    return h;
  };
  const kubeconfigPath = apiServer.kubeconfigPath;
  const log = (component: string): Logger => opts.logger.child({ component });
  try {
    await started(startScheduler(kubeconfigPath, log('scheduler')));
    await started(startEndpointSliceController(kubeconfigPath, log('endpointslice-controller')));
    await started(startWorkloadControllers(kubeconfigPath, log('workload-controllers')));
    const dnsHost = opts.dns?.host ?? '127.0.0.1';
    const dns = await started(
      startClusterDns({ kubeconfigPath, listen: { host: dnsHost, port: opts.dns?.port ?? 0 }, domain: opts.clusterDomain ?? 'cluster.local', logger: log('cluster-dns') }),
    );
    await registerKubeDnsService({ kubeconfigPath, endpointIP: dnsHost, endpointPort: dns.port });
    return {
      apiServer,
      url: apiServer.url,
      kubeconfigPath,
      dns: { host: dnsHost, port: dns.port },
      close: () => stopAll(stops),
    };
  } catch (err) {
    await stopAll(stops);
    throw err;
  }
}

async function stopAll(stops: (() => Promise<void>)[]): Promise<void> {
  for (const stop of stops.splice(0).reverse()) await stop();
}

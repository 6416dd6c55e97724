// The local control plane as one unit: today the API server; the scheduler, controllers,
// mock CCI and virtual node are started here too as they arrive, each adding its handle.
import type { Logger } from '../log/logger.ts';
import { startApiServer, type ApiServer, type ApiServerExtension } from './apiserver/index.ts';
import { podProxyExtension } from './proxy/index.ts';

export interface ControlPlaneOptions {
  stateDir: string;
  host?: string;
  port?: number;
  logger: Logger;
  extensions?: ApiServerExtension[];
}

export interface ControlPlane {
  apiServer: ApiServer;
  url: string;
  kubeconfigPath: string;
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
  return {
    apiServer,
    url: apiServer.url,
    kubeconfigPath: apiServer.kubeconfigPath,
    async close() {
      for (const stop of stops.reverse()) await stop();
    },
  };
}

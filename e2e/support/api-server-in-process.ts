// An API server in the test process (no scheduler or controllers) for e2e tests that start
// the one controller under test themselves, and kubectl against it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type ApiServer } from '../../src/local/apiserver/index.ts';
import { kubectlFor, type Kubectl } from './kubectl.ts';

export interface InProcessApiServer {
  server: ApiServer;
  kubeconfig: string;
  kubectl: Kubectl;
  stop(): Promise<void>;
}

export async function startApiServerInProcess(): Promise<InProcessApiServer> {
  const stateDir = mkdtempSync(join(tmpdir(), 'bl-api-'));
  const server = await startApiServer({ stateDir, port: 0 });
  return {
    server,
    kubeconfig: server.kubeconfigPath,
    kubectl: kubectlFor(server.kubeconfigPath),
    async stop() {
      await server.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

// burstlet node runs under the identity an operator gives it: `kubectl apply -k manifests/`
// as the README tells operators, then a token of the manifests' ServiceAccount (TokenRequest),
// so the ClusterRole and Roles there are what authorizes every request burstlet makes.
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { KubeClient, loadKubeConfig } from '../../kube/client.ts';
import { writeKubeconfig } from '../pki.ts';

const run = promisify(execFile);

export const MANIFESTS_DIR = resolve(import.meta.dirname, '../../../manifests');
export const BURSTLET_SERVICE_ACCOUNT = { namespace: 'kube-system', name: 'burstlet' };
export const BURSTLET_DEPLOYMENT = 'cceaddon-virtual-kubelet-virtual-kubelet';
/** The token lasts as long as a local environment reasonably runs; restart it after that. */
const TOKEN_SECONDS = 7 * 24 * 3600;

/** `kubectl`: $KUBECTL, else the one on PATH. */
export function kubectlCommand(env: NodeJS.ProcessEnv = process.env): string {
  return env.KUBECTL || 'kubectl';
}

async function kubectl(adminKubeconfig: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(kubectlCommand(), args, { env: { ...process.env, KUBECONFIG: adminKubeconfig }, timeout: 60_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`kubectl ${args.join(' ')} failed: ${e.stderr?.trim() || e.message} (kubectl from $KUBECTL or PATH; set KUBECTL to a kubectl 1.27+)`, { cause: err });
  }
}

/**
 * Applies manifests/ unchanged, then scales its Deployment to 0: the local nodes are processes
 * this environment runs itself, on the host (their mock CCI and network namespaces live there),
 * and the Deployment's --cci-endpoint is a placeholder for a real region. The Deployment stays,
 * as an operator would have it, for `kubectl get/describe`.
 */
export async function applyOperatorManifests(adminKubeconfig: string): Promise<void> {
  await kubectl(adminKubeconfig, ['apply', '-k', MANIFESTS_DIR]);
  await kubectl(adminKubeconfig, ['-n', 'kube-system', 'scale', `deployment/${BURSTLET_DEPLOYMENT}`, '--replicas=0']);
}

/** Writes a kubeconfig holding a fresh token of a ServiceAccount (burstlet's by default); returns its path. */
export async function writeServiceAccountKubeconfig(
  adminKubeconfig: string, server: string, caPem: string, path: string, account: { namespace: string; name: string } = BURSTLET_SERVICE_ACCOUNT,
): Promise<string> {
  const client = await KubeClient.create(loadKubeConfig(adminKubeconfig));
  try {
    const { namespace, name } = account;
    const review = await client.request<{ status?: { token?: string } }>('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: TOKEN_SECONDS } },
    });
    const token = review.status?.token;
    if (!token) throw new Error(`TokenRequest for ${namespace}/${name} returned no token`);
    await writeKubeconfig(path, server, caPem, { token });
    return path;
  } finally {
    await client.close();
  }
}

export function serviceAccountKubeconfigPath(stateDir: string): string {
  return join(stateDir, 'kubernetes', 'burstlet-node.kubeconfig');
}

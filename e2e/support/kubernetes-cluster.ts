// The local environment on the real Kubernetes components (`burstlet local --nodes
// --control-plane=kubernetes`), for e2e tests. One call starts it; a file whose test bed is not
// built says so in its title and on stderr (`npm run kubernetes:build`), and fails instead of
// skipping where the run must cover it (CI sets BURSTLET_REQUIRE_KUBERNETES=1).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CciClient } from '../../src/cci/client.ts';
import type { CciPod } from '../../src/cci/types.ts';
import { findTestbedBinary } from '../../src/local/kubernetes/testbed-binary.ts';
import { kubectlPath } from './kubectl.ts';
import { startLocalCluster, type LocalCluster, type LocalClusterOptions } from './local-cluster.ts';

const found = findTestbedBinary();

/** Why the real-Kubernetes tests cannot run here, or undefined when they can. */
export const kubernetesMissing: string | undefined = 'missing' in found ? found.missing : undefined;

if (kubernetesMissing) {
  if (process.env.BURSTLET_REQUIRE_KUBERNETES === '1') throw new Error(`BURSTLET_REQUIRE_KUBERNETES=1 but ${kubernetesMissing}`);
  console.warn(`SKIPPED real-Kubernetes e2e: ${kubernetesMissing}`);
}

/** A describe title that carries the skip reason when the test bed is missing. */
export function kubernetesTitle(title: string): string {
  return kubernetesMissing ? `${title} — SKIPPED: ${kubernetesMissing}` : title;
}

export interface KubernetesCluster extends LocalCluster {
  /** Where the components' logs and kube-apiserver's audit log are. */
  logDir: string;
  /** The audit events of burstlet's own requests (its ServiceAccount), as kube-apiserver logged them. */
  burstletAudit(): AuditEvent[];
}

export interface AuditEvent {
  verb: string;
  requestURI: string;
  responseStatus?: { code?: number; reason?: string; message?: string };
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string };
}

/** `burstlet local --nodes --control-plane=kubernetes` on a free port in a temporary state dir. */
export async function startKubernetesCluster(opts: LocalClusterOptions = {}): Promise<KubernetesCluster> {
  // `burstlet local` applies manifests/ with $KUBECTL: the same real kubectl the tests use.
  process.env.KUBECTL ??= kubectlPath('1.33');
  const cluster = await startLocalCluster({
    ...opts,
    args: ['--nodes', '--control-plane=kubernetes', ...(opts.args ?? [])],
    readyTimeoutMs: opts.readyTimeoutMs ?? 240_000,
  });
  const logDir = join(cluster.stateDir, 'kubernetes', 'logs');
  return {
    ...cluster,
    logDir,
    burstletAudit() {
      const file = join(logDir, 'audit.log');
      if (!existsSync(file)) return [];
      return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as AuditEvent);
    },
  };
}

/**
 * The CCI pods (live, not being deleted) the mock CCI behind local node `node` of `cluster` holds,
 * read with the node's own endpoint, token and namespace (from its command line).
 */
export async function cciPodsOf(cluster: LocalCluster, node: string): Promise<CciPod[]> {
  const pid = execFileSync('pgrep', ['-f', `main.ts node --nodename=${node} --kubeconfig=${cluster.stateDir}/`], { encoding: 'utf8' }).trim().split('\n')[0]!;
  const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  const flag = (name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const client = new CciClient({ endpoint: flag('cci-endpoint')!, token: readFileSync(flag('cci-token-file')!, 'utf8').trim(), namespace: flag('cci-namespace') ?? 'default' });
  try {
    return (await client.listPods()).items.filter((p) => !p.metadata.deletionTimestamp);
  } finally {
    await client.close();
  }
}

// An API server in the test process (no scheduler or controllers) for e2e tests that start
// the one controller under test themselves, plus a real-kubectl runner against it.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type ApiServer } from '../../src/local/apiserver/index.ts';
import { kubectlPath, type KubectlResult, type KubectlVersion } from './local-cluster.ts';

export interface InProcessApiServer {
  server: ApiServer;
  kubeconfig: string;
  kubectl(args: string[], opts?: { stdin?: string; version?: KubectlVersion }): Promise<KubectlResult>;
  /** kubectl that must succeed; returns stdout. */
  ok(args: string[], stdin?: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startApiServerInProcess(): Promise<InProcessApiServer> {
  const stateDir = mkdtempSync(join(tmpdir(), 'bl-api-'));
  const server = await startApiServer({ stateDir, port: 0 });
  const kubectl = (args: string[], opts: { stdin?: string; version?: KubectlVersion } = {}): Promise<KubectlResult> =>
    new Promise((resolve) => {
      const child = execFile(kubectlPath(opts.version), args, { env: { ...process.env, KUBECONFIG: server.kubeconfigPath }, timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      child.stdin!.end(opts.stdin ?? '');
    });
  return {
    server,
    kubeconfig: server.kubeconfigPath,
    kubectl,
    async ok(args, stdin) {
      const r = await kubectl(args, { stdin });
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
      return r.stdout;
    },
    async stop() {
      await server.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a value other than undefined, or fails with the last state. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

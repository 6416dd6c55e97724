// A local cluster for e2e tests: `burstlet local` as a child process on a free port in a
// temporary state dir, and kubectl against it.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { kubectlFor, type Kubectl } from './kubectl.ts';

export interface LocalCluster {
  kubeconfig: string;
  url: string;
  stateDir: string;
  /** The child process's stderr so far (its logs), for failure messages. */
  logs(): string;
  kubectl: Kubectl;
  stop(): Promise<void>;
}

const MAIN = resolve(import.meta.dirname, '../../src/cli/main.ts');

export interface LocalClusterOptions {
  /** Extra flags for `burstlet local`. */
  args?: string[];
  readyTimeoutMs?: number;
}

export async function startLocalCluster(opts: LocalClusterOptions = {}): Promise<LocalCluster> {
  const stateDir = mkdtempSync(join(tmpdir(), 'bl-local-'));
  const child = spawn(process.execPath, [MAIN, 'local', '--state-dir', stateDir, '--port', '0', '--log-level', 'warn', ...(opts.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const ready = await new Promise<{ url: string; kubeconfig: string }>((resolveReady, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`burstlet local did not become ready in time; stderr:\n${stderr}`)), opts.readyTimeoutMs ?? 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /ready at (https:\/\/\S+), kubeconfig (\S+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolveReady({ url: m[1]!, kubeconfig: m[2]! });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`burstlet local exited with ${code} before it was ready; stderr:\n${stderr}`));
    });
  });
  return {
    ...ready,
    stateDir,
    logs: () => stderr,
    kubectl: kubectlFor(ready.kubeconfig),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      // BURSTLET_E2E_KEEP_STATE=1 keeps the components' logs and state for a failure's post-mortem.
      if (process.env.BURSTLET_E2E_KEEP_STATE === '1') console.warn(`kept ${stateDir} (BURSTLET_E2E_KEEP_STATE=1)`);
      else rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

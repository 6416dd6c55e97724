// A local cluster for e2e tests: `burstlet local` as a child process on a free port in a
// temporary state dir, plus a runner for the real kubectl binaries against it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export type KubectlVersion = '1.27' | '1.28' | '1.29' | '1.30' | '1.31' | '1.32' | '1.33';

export interface KubectlOptions {
  version?: KubectlVersion;
  stdin?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface LocalCluster {
  kubeconfig: string;
  url: string;
  stateDir: string;
  /** The child process's stderr so far (its logs), for failure messages. */
  logs(): string;
  kubectl(args: string[], opts?: KubectlOptions): Promise<KubectlResult>;
  /** Starts kubectl without waiting (for `get -w`); the caller kills it. */
  spawnKubectl(args: string[], opts?: KubectlOptions): ChildProcess;
  stop(): Promise<void>;
}

const MAIN = resolve(import.meta.dirname, '../../src/cli/main.ts');

export function kubectlPath(version: KubectlVersion = '1.33'): string {
  return `/usr/lib/google-cloud-sdk/bin/kubectl.${version}`;
}

export interface KubectlRun {
  code: number;
  /** As bytes: exec and cp output is binary. */
  stdout: Buffer;
  stderr: string;
}

/** Runs the real kubectl against `kubeconfig` to completion (killed after `timeoutMs`, 60 s by default). */
export function runKubectl(kubeconfig: string, args: string[], o: { version?: KubectlVersion; stdin?: Buffer | string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<KubectlRun> {
  return new Promise((resolve) => {
    const child = spawn(kubectlPath(o.version), args, { env: { ...process.env, KUBECONFIG: kubeconfig, ...o.env } });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: err });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(o.stdin ?? '');
  });
}

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
  const env = (o?: KubectlOptions): NodeJS.ProcessEnv => ({ ...process.env, KUBECONFIG: ready.kubeconfig, ...(o?.env ?? {}) });
  const spawnKubectl = (args: string[], o?: KubectlOptions): ChildProcess =>
    spawn(kubectlPath(o?.version), args, { env: env(o), stdio: ['pipe', 'pipe', 'pipe'] });
  return {
    ...ready,
    stateDir,
    logs: () => stderr,
    spawnKubectl,
    async kubectl(args, o) {
      const r = await runKubectl(ready.kubeconfig, args, o);
      return { ...r, stdout: r.stdout.toString() };
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

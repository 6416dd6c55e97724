// Child processes of the local environment: burstlet subcommands (mock CCIs and virtual nodes,
// started with this Node) and, with --control-plane=kubernetes, the real components. Each is
// stopped with SIGTERM then SIGKILL; a burstlet child is ready when its stdout prints the line
// a pattern matches. Shared by the local environment and the e2e tests.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { BURSTLET_MAIN } from '../program/entry.ts';

export interface ManagedProcess {
  child: ChildProcess;
  pid: number;
  /** The tail of what it wrote to stderr (a burstlet child's JSON logs). */
  logs(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** A burstlet subcommand as a child process. */
export type BurstletProcess = ManagedProcess;

export interface SpawnOptions {
  /** Where the child's stderr goes besides the kept tail. */
  onStderr?: (chunk: Buffer) => void;
  /** stdout: piped (default) or a file descriptor (the real components' log files). */
  stdout?: 'pipe' | number;
  env?: NodeJS.ProcessEnv;
}

export interface StartOptions extends SpawnOptions {
  /** Matched against everything the child printed on stdout so far. */
  ready: RegExp;
  timeoutMs?: number;
  /** Flags for Node itself, before the script (e.g. --max-old-space-size for memory benchmarks). */
  nodeFlags?: readonly string[];
  /** The CLI entry to run: the sources' by default; benchmarks run the build's (BUILT_MAIN). */
  entry?: string;
}

const KEPT_LOG = 1_000_000;

/** Starts `command`, keeping the tail of its stderr; it is running, not necessarily ready. */
export function spawnManaged(command: string, args: readonly string[], opts: SpawnOptions = {}): ManagedProcess {
  const stdio: StdioOptions = ['ignore', opts.stdout ?? 'pipe', 'pipe'];
  const child = spawn(command, args, { stdio, ...(opts.env ? { env: opts.env } : {}) });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 2 * KEPT_LOG) stderr = stderr.slice(-KEPT_LOG);
    opts.onStderr?.(d);
  });
  return {
    child,
    pid: child.pid!,
    logs: () => stderr,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export function startBurstlet(args: readonly string[], opts: StartOptions): Promise<{ proc: BurstletProcess; match: RegExpExecArray }> {
  const proc = spawnManaged(process.execPath, [...(opts.nodeFlags ?? []), opts.entry ?? BURSTLET_MAIN, ...args], opts);
  const { child } = proc;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolveReady, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`burstlet ${args[0]} not ready in ${timeoutMs} ms; stderr:\n${proc.logs().slice(-4000)}`));
    }, timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const match = opts.ready.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolveReady({ proc, match });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`burstlet ${args[0]} exited (${signal ?? code}) before it was ready; stderr:\n${proc.logs().slice(-4000)}`));
    });
  });
}

// A burstlet subcommand as a child process: started with this Node, ready when its stdout
// prints the line a pattern matches, stopped with SIGTERM then SIGKILL. Shared by the local
// environment (which runs mock CCIs and virtual nodes as real processes) and the e2e tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { BURSTLET_MAIN } from '../program/entry.ts';

export interface BurstletProcess {
  child: ChildProcess;
  pid: number;
  /** The tail of what it wrote to stderr (its JSON logs). */
  logs(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  /** Matched against everything the child printed on stdout so far. */
  ready: RegExp;
  timeoutMs?: number;
  /** Where the child's stderr goes besides the kept tail (the local environment forwards logs). */
  onStderr?: (chunk: Buffer) => void;
  /** Flags for Node itself, before the script (e.g. --max-old-space-size for memory benchmarks). */
  nodeFlags?: readonly string[];
  /** The CLI entry to run: the sources' by default; benchmarks run the build's (BUILT_MAIN). */
  entry?: string;
}

const KEPT_LOG = 1_000_000;

export function startBurstlet(args: readonly string[], opts: StartOptions): Promise<{ proc: BurstletProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, [...(opts.nodeFlags ?? []), opts.entry ?? BURSTLET_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 2 * KEPT_LOG) stderr = stderr.slice(-KEPT_LOG);
    opts.onStderr?.(d);
  });
  const proc: BurstletProcess = {
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
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolveReady, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`burstlet ${args[0]} not ready in ${timeoutMs} ms; stderr:\n${stderr.slice(-4000)}`));
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
      reject(new Error(`burstlet ${args[0]} exited (${signal ?? code}) before it was ready; stderr:\n${stderr.slice(-4000)}`));
    });
  });
}

// Starting container processes. Node's spawn forks the whole (large) Node process and waits
// for the exec, which costs milliseconds per container on a busy machine; the shell launcher
// instead keeps one small `sh` that forks the containers (each in its own session, via
// setsid) and reports their pids and exit codes on a pipe, with output going to per-instance
// files that one directory watch tails. Same contract either way.
import { spawn } from 'node:child_process';
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { shellQuote } from './mount-plan.ts';
import type { SpawnSpec } from './sandbox.ts';

export type OutputSink = (stream: 'stdout' | 'stderr', chunk: Buffer) => void;

export interface Launched {
  pid: number;
  stdin: Writable | null;
  /** The exit code (128 + signal when killed), once all output has reached the sink. */
  exited: Promise<number>;
  /** Signals the container; without it the process group of `pid` is signalled. */
  kill?: (signal: NodeJS.Signals) => void;
}

export interface Launcher {
  launch(spec: SpawnSpec, env: NodeJS.ProcessEnv, withStdin: boolean, sink: OutputSink): Promise<Launched>;
  close(): Promise<void>;
}

const SIGNALS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };

/**
 * `--runtime=none`: containers start at once and run until stopped, but nothing runs at all —
 * a backend that does no work, to measure burstlet's pod lifecycle alone (bench/peer.ts).
 */
export class NullLauncher implements Launcher {
  launch(): Promise<Launched> {
    let end!: (code: number) => void;
    const exited = new Promise<number>((resolve) => (end = resolve));
    return Promise.resolve({ pid: 0, stdin: null, exited, kill: (signal) => end(128 + (SIGNALS[signal] ?? 0)) });
  }

  async close(): Promise<void> {}
}

export class NodeLauncher implements Launcher {
  launch(spec: SpawnSpec, env: NodeJS.ProcessEnv, withStdin: boolean, sink: OutputSink): Promise<Launched> {
    const child = spawn(spec.file, spec.args, { cwd: spec.cwd, env, stdio: [withStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], detached: true });
    child.stdout!.on('data', (d: Buffer) => sink('stdout', d));
    child.stderr!.on('data', (d: Buffer) => sink('stderr', d));
    const exited = new Promise<number>((resolve) => {
      child.once('error', (err) => {
        sink('stderr', Buffer.from(`${err.message}\n`));
        resolve(128);
      });
      child.once('exit', (code, signal) => {
        const exitCode = code ?? 128 + (signal ? (SIGNALS[signal] ?? 0) : 0);
        // Output still in the pipes belongs to this instance: wait for it, briefly.
        const grace = setTimeout(() => resolve(exitCode), 200);
        child.once('close', () => {
          clearTimeout(grace);
          resolve(exitCode);
        });
      });
    });
    return Promise.resolve({ pid: child.pid ?? -1, stdin: child.stdin, exited });
  }

  async close(): Promise<void> {}
}

interface Pending {
  started: (pid: number) => void;
  isStarted: () => boolean;
  exited: (code: number) => void;
  paths: { stdout: string; stderr: string };
  /** Opened for reading on the first output, not before: most containers never write. */
  files: { stdout: FileHandle | null; stderr: FileHandle | null };
  offsets: { stdout: number; stderr: number };
  sink: OutputSink;
  reading: Promise<void>;
}

export class ShellLauncher implements Launcher {
  readonly #dir: string;
  readonly #fallback = new NodeLauncher();
  readonly #shell;
  readonly #watcher: FSWatcher;
  readonly #pending = new Map<string, Pending>();
  readonly #reaper: NodeJS.Timeout;
  #dead = false;
  #next = 0;

  private constructor(dir: string) {
    this.#dir = dir;
    // An empty environment: each container exports exactly its own.
    this.#shell = spawn('sh', ['-s'], { stdio: ['pipe', 'ignore', 'ignore', 'pipe'], env: {} });
    this.#shell.stdin!.on('error', () => undefined);
    // Should the shell die, running containers still report through their waiters; launches
    // it never started fail, and later ones use Node's spawn.
    this.#shell.once('exit', () => {
      this.#dead = true;
      for (const entry of this.#pending.values()) if (!entry.isStarted()) entry.exited(128);
    });
    const events = createInterface({ input: this.#shell.stdio[3] as NodeJS.ReadableStream });
    events.on('line', (line) => this.#event(line));
    this.#watcher = watch(dir, (_type, file) => {
      if (typeof file === 'string') this.#readMore(file.slice(0, file.lastIndexOf('.')));
    });
    // `jobs` makes the shell reap its finished waiters.
    this.#reaper = setInterval(() => this.#shell.stdin!.write('jobs >/dev/null\n'), 1_000);
    this.#reaper.unref();
  }

  static async create(dir: string): Promise<ShellLauncher> {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    return new ShellLauncher(dir);
  }

  async launch(spec: SpawnSpec, env: NodeJS.ProcessEnv, withStdin: boolean, sink: OutputSink): Promise<Launched> {
    const defined = Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined);
    const exports = defined.filter(([k]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k));
    // sh cannot export names such as "my.var" (Kubernetes allows them), nor give a stdin pipe.
    if (this.#dead || withStdin || exports.length !== defined.length) return this.#fallback.launch(spec, env, withStdin, sink);
    const id = `c${(this.#next++).toString(36)}`;
    const out = path.join(this.#dir, `${id}.out`);
    const err = path.join(this.#dir, `${id}.err`);
    const q = shellQuote;
    const cmd = [spec.file, ...spec.args].map(q).join(' ');
    // The waiter subshell reports the container's pid and, once it ends, its exit status.
    const script =
      `( cd ${q(spec.cwd)} || { echo "X ${id} 128" >&3; exit; }; ` +
      (exports.length > 0 ? `export ${exports.map(([k, v]) => `${k}=${q(v)}`).join(' ')}; ` : '') +
      `setsid ${cmd} </dev/null >${q(out)} 2>${q(err)} 3>&- & echo "S ${id} $!" >&3; wait $!; echo "X ${id} $?" >&3 ) &\njobs >/dev/null\n`;
    return new Promise((resolve) => {
      const entry: Pending = {
        paths: { stdout: out, stderr: err },
        files: { stdout: null, stderr: null },
        offsets: { stdout: 0, stderr: 0 },
        sink,
        reading: Promise.resolve(),
        started: (pid) => resolve({ pid, stdin: null, exited }),
        isStarted: () => started,
        exited: () => undefined,
      };
      let started = false;
      const onStarted = entry.started;
      entry.started = (pid) => {
        started = true;
        onStarted(pid);
      };
      const exited = new Promise<number>((done) => {
        entry.exited = (code) => {
          if (!started) entry.started(-1); // it never ran (its working directory is missing)
          // The final read catches what arrived after the last watch event.
          this.#readMore(id);
          void entry.reading.then(async () => {
            this.#pending.delete(id);
            await Promise.all([entry.files.stdout?.close(), entry.files.stderr?.close(), rm(out, { force: true }), rm(err, { force: true })]);
            done(code);
          });
        };
      });
      this.#pending.set(id, entry);
      this.#shell.stdin!.write(script);
    });
  }

  #event(line: string): void {
    const [kind, id, value] = line.split(' ');
    const entry = this.#pending.get(id ?? '');
    if (!entry) return;
    if (kind === 'S') entry.started(Number(value));
    else if (kind === 'X') entry.exited(Number(value));
  }

  #readMore(id: string): void {
    const entry = this.#pending.get(id);
    if (!entry) return;
    entry.reading = entry.reading.then(async () => {
      for (const stream of ['stdout', 'stderr'] as const) {
        entry.files[stream] ??= await open(entry.paths[stream], 'r').catch(() => null);
        const file = entry.files[stream];
        if (!file) continue;
        for (;;) {
          const buf = Buffer.allocUnsafe(64 * 1024);
          const { bytesRead } = await file.read(buf, 0, buf.length, entry.offsets[stream]).catch(() => ({ bytesRead: 0 }));
          if (bytesRead === 0) break;
          entry.offsets[stream] += bytesRead;
          entry.sink(stream, buf.subarray(0, bytesRead));
        }
      }
    });
  }

  async close(): Promise<void> {
    clearInterval(this.#reaper);
    this.#watcher.close();
    this.#shell.stdin!.end();
    this.#shell.kill('SIGKILL');
    await rm(this.#dir, { recursive: true, force: true });
  }
}

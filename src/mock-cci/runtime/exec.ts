// exec and attach inside a running pod. exec starts the command in the pod's namespaces with
// the container's env; a tty comes from util-linux `script` (a pty without native modules),
// resized with `stty` on the pty that `script` gave its child. attach joins the container's
// main process: its live output, and its stdin when the container has one.
import { execFile, spawn } from 'node:child_process';
import { readFile, readlink } from 'node:fs/promises';
import { forwardChunks, freeUnlessSlice } from '../../streams/chunk-forward.ts';
import type { RemoteCommandSession, TerminalSize } from '../../streams/remote-command.ts';
import { killGroup } from './actions.ts';
import type { ContainerRunner } from './container.ts';
import type { LogLine } from './log-lines.ts';
import { shellQuote } from './mount-plan.ts';
import type { PodSandbox } from './sandbox.ts';
import { nulByteRefusal } from './spawn-input.ts';

/** How long a tty exec waits for the client's terminal size before starting at 0x0 without it. */
const INITIAL_SIZE_WAIT_MS = 1000;

export function execInContainer(sandbox: PodSandbox, container: ContainerRunner, command: readonly string[], session: RemoteCommandSession): void {
  if (!session.resizes) return start(sandbox, container, command, session, null);
  // kubectl sends the terminal size as a resize right after the streams open: wait for it so
  // that the command starts at that size (a resize applied later would race its first read).
  const sizes = session.resizes[Symbol.asyncIterator]();
  const first = sizes.next();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), INITIAL_SIZE_WAIT_MS)));
  void Promise.race([first, timeout]).then((got) => {
    clearTimeout(timer);
    const initial = got && !got.done ? got.value : null;
    start(sandbox, container, command, session, { initial, sizes, next: got ? sizes.next() : first });
  });
}

interface TerminalSizes {
  initial: TerminalSize | null;
  sizes: AsyncIterator<TerminalSize>;
  /** The next resize after `initial` (or the first one, still awaited, when none came in time). */
  next: Promise<IteratorResult<TerminalSize>>;
}

function start(sandbox: PodSandbox, container: ContainerRunner, command: readonly string[], session: RemoteCommandSession, terminal: TerminalSizes | null): void {
  const user = container.asUser(command);
  // The size is set on script's pty before the command runs, so its first look sees it.
  const stty = terminal?.initial ? `stty rows ${terminal.initial.height} cols ${terminal.initial.width}; exec ` : '';
  const argv = session.tty ? ['script', '-qfec', stty + user.map(shellQuote).join(' '), '/dev/null'] : user;
  const env = session.tty ? { ...container.env, TERM: container.env.TERM ?? 'xterm' } : container.env;
  const refusal = nulByteRefusal(argv, env, container.spec.workingDir);
  if (refusal) {
    session.stdin?.resume();
    void session.finish({ error: `failed to exec in container: ${refusal}` });
    return;
  }
  const spec = sandbox.spawnSpec(argv, container.spec.workingDir);
  const child = spawn(spec.file, spec.args, { cwd: spec.cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  child.stdin.on('error', () => undefined); // the command may exit without reading its input
  if (session.stdin) session.stdin.pipe(child.stdin);
  else child.stdin.end();
  // The pipes' reads are ours alone: each is freed once written rather than left to the GC.
  if (session.stdout) void forwardChunks(child.stdout, session.stdout, freeUnlessSlice);
  else child.stdout.resume();
  if (session.stderr) void forwardChunks(child.stderr, session.stderr, freeUnlessSlice);
  else child.stderr.resume();
  if (terminal && child.pid !== undefined) void applyResizes(child.pid, terminal);
  let done = false;
  child.once('error', (err) => {
    done = true;
    void session.finish({ error: `failed to exec in container: ${err.message}` });
  });
  child.once('close', (code, signal) => {
    if (done) return;
    done = true;
    session.stdout?.end();
    session.stderr?.end();
    void session.finish({ exitCode: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15) });
  });
  void session.closed.then(() => {
    if (!done) killGroup(child.pid, 'SIGKILL');
  });
}

/** The terminal of `script`'s child, reachable from the host through /proc, once it has one. */
async function ptyOf(scriptPid: number): Promise<string | null> {
  const kids = await readFile(`/proc/${scriptPid}/task/${scriptPid}/children`, 'utf8').catch(() => '');
  const child = kids.trim().split(' ')[0];
  if (!child) return null;
  // Right after the fork, fd 0 is still script's pipe: wait for the pty slave.
  const target = await readlink(`/proc/${child}/fd/0`).catch(() => '');
  return target.includes('/pts/') ? `/proc/${child}/fd/0` : null;
}

async function applyResizes(scriptPid: number, terminal: TerminalSizes): Promise<void> {
  for (let got = await terminal.next; !got.done; got = await terminal.sizes.next()) {
    const size = got.value;
    for (let attempt = 0; attempt < 50; attempt++) {
      const pty = await ptyOf(scriptPid);
      const args = ['-F', pty ?? '', 'rows', String(size.height), 'cols', String(size.width)];
      if (pty && (await new Promise<boolean>((resolve) => execFile('stty', args, (err) => resolve(!err))))) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Attaches to the container's running instance until it ends or the client leaves. */
export function attachToContainer(container: ContainerRunner, session: RemoteCommandSession): void {
  const log = container.logs.at(-1);
  const child = container.process;
  if (!log || !child || log.ended) {
    void session.finish({ error: `container ${container.spec.name} is not running` });
    return;
  }
  const onLine = (line: LogLine): void => {
    const out = line.stream === 'stderr' && session.stderr ? session.stderr : session.stdout;
    out?.write(line.data);
  };
  log.on('line', onLine);
  if (session.stdin && child.stdin) {
    session.stdin.on('data', (d: Buffer) => child.stdin?.write(d));
    session.stdin.once('end', () => {
      if (container.spec.stdinOnce) child.stdin?.end();
    });
  } else session.stdin?.resume();
  const detach = (): void => {
    log.off('line', onLine);
  };
  log.once('end', () => {
    detach();
    session.stdout?.end();
    session.stderr?.end();
    void session.finish({ exitCode: container.state.terminated?.exitCode ?? 0 });
  });
  void session.closed.then(detach);
}

// One container of a pod: runs its instances (process, logs, hooks, probes), keeps its
// Kubernetes-shaped status, and restarts it under the pod's restartPolicy with the kubelet's
// CrashLoopBackOff schedule.
import { randomBytes } from 'node:crypto';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import type { V1ContainerState, V1ContainerStatus } from '@kubernetes/client-node';
import type { CciContainer, CciPod } from '../../cci/types.ts';
import { killGroup, runAction, type Action } from './actions.ts';
import { restartDelayMs, type BackoffPolicy } from './backoff.ts';
import { ContainerLog } from './container-log.ts';
import type { Launched, Launcher } from './launcher.ts';

/** Signals a launched container: its own way when it has one, else its process group. */
function signal(launched: Launched, sig: NodeJS.Signals): void {
  if (launched.kill) launched.kill(sig);
  else killGroup(launched.pid, sig);
}
import { expand, resolveEnv, type PodAddresses } from './expand.ts';
import { containerArgv, imageExecArgv, imageID, pullFailure, type PullFailure } from './images.ts';
import { ProbeLoop } from './probe.ts';
import type { PodSandbox, SpawnSpec } from './sandbox.ts';
import { nulByteRefusal } from './spawn-input.ts';
import { errorMessage } from '../../log/error-message.ts';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ContainerContext {
  pod: CciPod;
  /** Set once the pod's sandbox exists; containers only run after that. */
  sandbox: PodSandbox | null;
  backoff: BackoffPolicy;
  launcher: Launcher;
  /** Marks every process of this mock instance, so that a restarted instance finds leftovers. */
  instanceEnv: Record<string, string>;
  addresses: PodAddresses;
  onChange: () => void;
}

/** Kubernetes timestamps have whole seconds. */
function now(): Date {
  return new Date(Math.floor(Date.now() / 1000) * 1000);
}

class StartError extends Error {}

/** Lookups that found an executable (by their host paths): a thousand pods running `sleep` search PATH once. */
const executables = new Set<string>();

/** Unique 64-hex container IDs without drawing 32 random bytes per container. */
const idPrefix = randomBytes(20).toString('hex');
let idCounter = 0;
function newContainerID(): string {
  return `cci://${idPrefix}${(idCounter++).toString(16).padStart(24, '0')}`;
}

export class ContainerRunner {
  readonly spec: CciContainer;
  readonly env: NodeJS.ProcessEnv;
  readonly logs: ContainerLog[] = [];
  restartCount = 0;
  state: V1ContainerState;
  lastState: V1ContainerState = {};
  ready = false;
  started = false;
  containerID: string | undefined;
  process: Launched | null = null;
  readonly #ctx: ContainerContext;
  #probes: ProbeLoop[] = [];
  #stopping = false;
  #wake: (() => void) | null = null;
  #exited: Promise<number> | null = null;
  #consecutiveRestarts = 0;
  readonly #imageID: string;
  readonly #firstStart = Promise.withResolvers<void>();

  constructor(spec: CciContainer, ctx: ContainerContext, initialReason: 'ContainerCreating' | 'PodInitializing') {
    this.spec = spec;
    this.#ctx = ctx;
    this.state = { waiting: { reason: initialReason } };
    this.#imageID = imageID(spec.image);
    const vars = resolveEnv(spec.env, ctx.addresses);
    this.env = { PATH: DEFAULT_PATH, HOSTNAME: ctx.pod.spec.hostname, HOME: '/root', ...Object.fromEntries(vars), ...ctx.instanceEnv };
  }

  /**
   * Settles once the first instance has started and its postStart hook has returned (or it
   * could not start): the kubelet starts a pod's next container only then.
   */
  get firstStart(): Promise<void> {
    return this.#firstStart.promise;
  }

  get #sandbox(): PodSandbox {
    if (!this.#ctx.sandbox) throw new Error(`container ${this.spec.name} used before its pod sandbox exists`);
    return this.#ctx.sandbox;
  }

  get running(): boolean {
    return this.process !== null;
  }

  status(): V1ContainerStatus {
    return {
      name: this.spec.name,
      image: this.spec.image,
      imageID: this.containerID ? this.#imageID : '',
      ...(this.containerID ? { containerID: this.containerID } : {}),
      ready: this.ready,
      started: this.started,
      restartCount: this.restartCount,
      state: this.state,
      lastState: this.lastState,
    };
  }

  /** Runs instances until one ends for good under `policy`; resolves with the last exit code. */
  async runLoop(policy: 'Always' | 'OnFailure' | 'Never'): Promise<number> {
    const pull = pullFailure(this.spec.image);
    if (pull) return this.#cannotPull(pull);
    for (;;) {
      const startedAt = Date.now();
      const code = await this.runOnce();
      if (this.#stopping) return code;
      const restart = policy === 'Always' || (policy === 'OnFailure' && code !== 0);
      if (!restart) return code;
      if (Date.now() - startedAt > this.#ctx.backoff.resetAfterMs) this.#consecutiveRestarts = 0;
      const delay = restartDelayMs(this.#ctx.backoff, this.#consecutiveRestarts);
      this.#consecutiveRestarts++;
      if (delay > 0) {
        const { metadata } = this.#ctx.pod;
        this.lastState = this.state;
        this.state = {
          waiting: {
            reason: 'CrashLoopBackOff',
            message: `back-off ${formatDelay(delay)} restarting failed container=${this.spec.name} pod=${metadata.name}_${metadata.namespace}(${metadata.uid})`,
          },
        };
        this.#ctx.onChange();
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = null;
        if (this.#stopping) return code;
      }
      this.restartCount++;
    }
  }

  /**
   * The image cannot be had: the container waits, as under the kubelet, with InvalidImageName for
   * good, or with ErrImagePull and ImagePullBackOff in turn on the back-off schedule, until the
   * pod is deleted. The containers after it still start.
   */
  async #cannotPull(failure: PullFailure): Promise<number> {
    this.#firstStart.resolve();
    for (let attempt = 0; !this.#stopping; attempt++) {
      this.state = { waiting: { reason: failure.reason, message: failure.message } };
      this.#ctx.onChange();
      if (failure.reason === 'InvalidImageName') await this.#sleep(Number.MAX_SAFE_INTEGER);
      else {
        const delay = restartDelayMs(this.#ctx.backoff, attempt);
        await this.#sleep(Math.min(delay, 2_000));
        if (this.#stopping) break;
        this.state = { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image ${JSON.stringify(this.spec.image)}: ErrImagePull: ${failure.message}` } };
        this.#ctx.onChange();
        await this.#sleep(delay);
      }
    }
    return 128;
  }

  /** Waits `ms` (at most ~24 days, setTimeout's limit), or until stop() wakes it. */
  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.min(ms, 2 ** 31 - 1));
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => (this.#wake = null));
  }

  /** Runs one instance of the container to its end and returns its exit code. */
  runOnce(): Promise<number> {
    const log = new ContainerLog();
    this.logs.push(log);
    if (this.logs.length > 2) this.logs.shift();
    this.containerID = newContainerID();
    const lastTerminated = this.state.terminated;
    if (lastTerminated) this.lastState = { terminated: lastTerminated };
    let spec: SpawnSpec;
    try {
      // Before #argv, which looks the command up on the pod's filesystem.
      const refusal = nulByteRefusal([...(this.spec.command ?? []), ...(this.spec.args ?? [])], this.env, this.spec.workingDir);
      if (refusal) throw new Error(refusal);
      const argv = this.asUser(this.#argv());
      spec = this.#sandbox.spawnSpec(argv, this.spec.workingDir);
    } catch (err) {
      log.end();
      const at = now();
      this.state = { terminated: { exitCode: 128, reason: 'StartError', message: errorMessage(err), startedAt: new Date(0), finishedAt: at, containerID: this.containerID } };
      this.#ctx.onChange();
      this.#firstStart.resolve();
      return Promise.resolve(128);
    }
    this.#exited = this.#ctx.launcher.launch(spec, this.env, this.spec.stdin ?? false, (stream, chunk) => log.write(stream, chunk)).then(async (launched) => {
      if (this.#stopping) signal(launched, 'SIGKILL'); // deleted while it was starting
      this.process = launched;
      const startedAt = now();
      this.state = { running: { startedAt } };
      this.started = !this.spec.startupProbe;
      this.ready = this.started && !this.spec.readinessProbe;
      this.#ctx.onChange();
      const hook = this.spec.lifecycle?.postStart ? this.#postStart(this.spec.lifecycle.postStart) : Promise.resolve();
      void hook.finally(() => this.#firstStart.resolve());
      if (this.spec.startupProbe) this.#startProbe('startup');
      else this.#startRunningProbes();
      const code = await launched.exited;
      this.#stopProbes();
      this.process = null;
      this.ready = false;
      this.started = false;
      this.state = {
        terminated: { exitCode: code, reason: code === 0 ? 'Completed' : 'Error', startedAt, finishedAt: now(), containerID: this.containerID },
      };
      log.end();
      this.#ctx.onChange();
      return code;
    });
    // A launch that fails or an instance that ends before its hook returns still lets the next container start.
    void this.#exited.finally(() => this.#firstStart.resolve());
    return this.#exited;
  }

  /** Runs preStop, then SIGTERM, then SIGKILL when the grace period is over; no restart follows. */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#kill(graceMs);
  }

  async #kill(graceMs: number): Promise<void> {
    const child = this.process;
    const exited = this.#exited;
    if (!exited) return;
    if (!child) {
      // Still starting: the launch kills it as soon as it has a pid when we are stopping.
      if (this.#stopping) await exited;
      return;
    }
    const deadline = Date.now() + graceMs;
    const preStop = this.spec.lifecycle?.preStop;
    if (preStop) {
      await Promise.race([this.#action(preStop, graceMs), exited, delay(graceMs)]);
    }
    signal(child, 'SIGTERM');
    const left = Math.max(0, deadline - Date.now());
    const timer = setTimeout(() => signal(child, 'SIGKILL'), left);
    await exited;
    clearTimeout(timer);
    // Anything the container left behind in its process group goes too.
    signal(child, 'SIGKILL');
  }

  /** argv run as the container's securityContext user and group, when it sets them. */
  asUser(argv: readonly string[]): string[] {
    const podCtx = this.#ctx.pod.spec.securityContext;
    const uid = this.spec.securityContext?.runAsUser ?? podCtx?.runAsUser;
    const gid = this.spec.securityContext?.runAsGroup ?? podCtx?.runAsGroup;
    if (uid === undefined && gid === undefined) return [...argv];
    const groups = podCtx?.supplementalGroups?.length ? [`--groups=${podCtx.supplementalGroups.join(',')}`] : ['--clear-groups'];
    return ['setpriv', ...(uid === undefined ? [] : [`--reuid=${uid}`]), ...(gid === undefined ? [] : [`--regid=${gid}`]), ...groups, '--', ...argv];
  }

  #argv(): string[] {
    const { argv, expand: doExpand } = containerArgv(this.spec);
    const vars = new Map(Object.entries(this.env).filter((e): e is [string, string] => e[1] !== undefined));
    const out = doExpand ? argv.map((a) => expand(a, vars)) : argv;
    this.#checkExecutable(out[0]!);
    if (this.spec.workingDir) {
      const dir = this.#sandbox.hostPathOf(this.spec.workingDir);
      if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
        throw new StartError(`chdir to cwd ("${this.spec.workingDir}") set in config.json failed: no such file or directory`);
      }
    }
    return out;
  }

  #checkExecutable(file: string): void {
    const candidates = file.includes('/')
      ? [file]
      : (this.env.PATH ?? DEFAULT_PATH).split(':').filter((d) => d !== '').map((d) => path.join(d, file));
    const onHost = candidates.map((c) => this.#sandbox.hostPathOf(c));
    const key = onHost.join('\0');
    if (executables.has(key)) return;
    for (const c of onHost) {
      try {
        accessSync(c, constants.X_OK);
        executables.add(key);
        return;
      } catch {
        // Try the next directory.
      }
    }
    throw new StartError(
      file.includes('/')
        ? `exec: "${file}": stat ${file}: no such file or directory`
        : `exec: "${file}": executable file not found in $PATH`,
    );
  }

  #action(action: Action, timeoutMs: number): Promise<{ ok: boolean; message: string }> {
    return runAction(action, { sandbox: this.#sandbox, env: this.env, ports: this.spec.ports, timeoutMs, asUser: (argv) => this.#actionArgv(argv) });
  }

  /** An exec hook's or probe's command, as this container's image and user run it. */
  #actionArgv(argv: readonly string[]): string[] {
    return this.asUser(imageExecArgv(this.spec.image, argv));
  }

  async #postStart(hook: Action): Promise<void> {
    const child = this.process;
    const result = await this.#action(hook, 30_000);
    if (!result.ok && this.process === child) {
      this.logs.at(-1)?.write('stderr', Buffer.from(`PostStartHook failed: ${result.message}\n`));
      void this.#kill(this.#graceMs());
    }
  }

  #graceMs(): number {
    return (this.#ctx.pod.spec.terminationGracePeriodSeconds ?? 30) * 1000;
  }

  #startProbe(kind: 'liveness' | 'readiness' | 'startup'): void {
    const probe = kind === 'liveness' ? this.spec.livenessProbe : kind === 'readiness' ? this.spec.readinessProbe : this.spec.startupProbe;
    if (!probe) return;
    const child = this.process;
    const loop = new ProbeLoop(kind, probe, { sandbox: this.#sandbox, env: this.env, ports: this.spec.ports, asUser: (argv) => this.#actionArgv(argv) }, (ok) => {
      if (this.process !== child) return;
      if (kind === 'readiness') {
        this.ready = ok;
        this.#ctx.onChange();
      } else if (kind === 'startup' && ok) {
        this.started = true;
        this.ready = !this.spec.readinessProbe;
        loop.stop();
        this.#startRunningProbes();
        this.#ctx.onChange();
      } else if (!ok) {
        // Failed liveness or startup: the kubelet kills the container; restartPolicy decides the rest.
        const grace = probe.terminationGracePeriodSeconds ?? this.#ctx.pod.spec.terminationGracePeriodSeconds ?? 30;
        void this.#kill(grace * 1000);
      }
    });
    this.#probes.push(loop);
    loop.start();
  }

  #startRunningProbes(): void {
    this.#startProbe('liveness');
    this.#startProbe('readiness');
  }

  #stopProbes(): void {
    for (const p of this.#probes) p.stop();
    this.#probes = [];
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function formatDelay(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m0s`;
  if (ms >= 60_000) return `${Math.floor(ms / 60_000)}m${(ms % 60_000) / 1000}s`;
  return `${ms / 1000}s`;
}

// One pod in the runtime: init containers in order, then the app containers together, each
// under the pod's restartPolicy; graceful stop; and the pod's Kubernetes-shaped status.
import type { V1PodCondition } from '@kubernetes/client-node';
import type { CciPod, CciPodStatus } from '../../cci/types.ts';
import { ContainerRunner, type ContainerContext } from './container.ts';
import { deriveConditions, podPhase, withTransitionTimes } from './pod-status.ts';
import type { PodSandbox } from './sandbox.ts';

export class PodRunner {
  readonly pod: CciPod;
  readonly init: ContainerRunner[];
  readonly containers: ContainerRunner[];
  readonly startTime = new Date(Math.floor(Date.now() / 1000) * 1000);
  #sandbox: PodSandbox | null = null;
  #hostIP: string;
  #podIP: string;
  #initDone: boolean;
  #initFailed = false;
  #stopping = false;
  #conditions: V1PodCondition[] = [];
  #failure: { reason: string; message: string } | null = null;
  readonly #onChange: () => void;
  readonly #ctx: ContainerContext;

  constructor(pod: CciPod, podIP: string, hostIP: string, launch: Pick<ContainerContext, 'backoff' | 'launcher' | 'instanceEnv'>, onChange: () => void) {
    this.pod = pod;
    this.#podIP = podIP;
    this.#hostIP = hostIP;
    this.#onChange = onChange;
    this.#ctx = { pod, ...launch, addresses: { podIP, hostIP }, onChange, sandbox: null };
    const ctx = this.#ctx;
    const initContainers = pod.spec.initContainers ?? [];
    this.#initDone = initContainers.length === 0;
    this.init = initContainers.map((c) => new ContainerRunner(c, ctx, 'PodInitializing'));
    this.containers = pod.spec.containers.map((c) => new ContainerRunner(c, ctx, this.#initDone ? 'ContainerCreating' : 'PodInitializing'));
  }

  get sandbox(): PodSandbox | null {
    return this.#sandbox;
  }

  /** Every container, init ones first, by name. */
  container(name: string): ContainerRunner | undefined {
    return [...this.init, ...this.containers].find((c) => c.spec.name === name);
  }

  /** The sandbox could not be made: the pod fails with the reason. */
  fail(reason: string, message: string): void {
    this.#failure = { reason, message };
    this.#onChange();
  }

  async run(sandbox: PodSandbox): Promise<void> {
    this.#sandbox = sandbox;
    this.#ctx.sandbox = sandbox;
    this.#onChange();
    const deadline = this.pod.spec.activeDeadlineSeconds;
    if (deadline !== undefined) {
      const timer = setTimeout(() => void this.#deadlineExceeded(), Math.max(0, this.startTime.getTime() + deadline * 1000 - Date.now()));
      timer.unref();
    }
    const policy = this.pod.spec.restartPolicy;
    for (const c of this.init) {
      // Init containers restart until they succeed, unless the pod never restarts.
      const code = await c.runLoop(policy === 'Never' ? 'Never' : 'OnFailure');
      if (this.#stopping) return;
      if (code !== 0) {
        this.#initFailed = true;
        this.#onChange();
        return;
      }
    }
    this.#initDone = true;
    for (const c of this.containers) c.state = { waiting: { reason: 'ContainerCreating' } };
    this.#onChange();
    // As the kubelet: containers start in spec order, each once the previous one's postStart
    // hook has returned (the networking sidecar, first, holds the app back until it is ready).
    const loops: Promise<number>[] = [];
    for (const c of this.containers) {
      const loop = c.runLoop(policy);
      loops.push(loop);
      await Promise.race([c.firstStart, loop]);
      if (this.#stopping) break;
    }
    await Promise.all(loops);
  }

  async #deadlineExceeded(): Promise<void> {
    if (this.#stopping) return;
    this.#failure = { reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' };
    await this.stop(this.pod.spec.terminationGracePeriodSeconds ?? 30);
    this.#onChange();
  }

  /** Stops every container within the grace period (preStop first, then TERM, then KILL). */
  async stop(graceSeconds: number): Promise<void> {
    this.#stopping = true;
    const graceMs = Math.max(0, graceSeconds) * 1000;
    await Promise.all([...this.init, ...this.containers].map((c) => c.stop(graceMs)));
  }

  get processesGone(): boolean {
    return [...this.init, ...this.containers].every((c) => !c.running);
  }

  status(): CciPodStatus {
    const init = this.init.map((c) => c.status());
    const containers = this.containers.map((c) => c.status());
    const phase = this.#failure ? 'Failed' : podPhase({ restartPolicy: this.pod.spec.restartPolicy, initDone: this.#initDone, initFailed: this.#initFailed, containers });
    const derived = deriveConditions({ phase, sandboxReady: this.#sandbox !== null, initDone: this.#initDone, init, containers });
    this.#conditions = withTransitionTimes(this.#conditions, derived, new Date(Math.floor(Date.now() / 1000) * 1000));
    return {
      phase,
      ...(this.#failure ?? {}),
      ...(this.#sandbox ? { podIP: this.#podIP } : {}),
      hostIP: this.#hostIP,
      startTime: this.startTime.toISOString().replace(/\.\d+Z$/, 'Z'),
      conditions: this.#conditions,
      ...(init.length > 0 ? { initContainerStatuses: init } : {}),
      containerStatuses: containers,
    };
  }
}

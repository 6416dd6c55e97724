// The container runtime behind the mock CCI: turns a CCI pod into a running PodRunner in a
// sandbox (plain processes, or namespaces when isolated), tears it down completely, and
// reports usage. The API layer owns IP allocation and passes the pod's IP in.
import { chmod, mkdir, rm } from 'node:fs/promises';
import { INSTANCE_ENV, killLeftovers, registerInstance, unregisterInstance } from './instances.ts';
import path from 'node:path';
import type { CciPod, CciPodStats } from '../../cci/types.ts';
import type { BackoffPolicy } from './backoff.ts';
import { NodeLauncher, NullLauncher, ShellLauncher, type Launcher } from './launcher.ts';
import { HostNetwork } from './netns.ts';
import { PodRunner } from './pod.ts';
import { processTreeUsage } from './proc-stats.ts';
import { IsolatedSandbox, ProcessSandbox, type PodSandbox } from './sandbox.ts';
import { preparePodDir, VolumeError } from './volumes.ts';
import type { Logger } from '../../log/logger.ts';
import { errorMessage } from '../../log/error-message.ts';

export type RuntimeMode = 'process' | 'isolated' | 'none';

export interface RuntimeOptions {
  mode: RuntimeMode;
  stateDir: string;
  /** Short tag naming this instance's host objects (bridges, netns, veths). */
  tag: string;
  /** The namespace's Networks, the default first: one bridge each when isolated. */
  networks: { name: string; gateway: string; prefix: number }[];
  /** Where pods' traffic may be forwarded between the bridges (the VPC); anything else forwarded is dropped. */
  vpcCidrs: string[];
  backoff: BackoffPolicy;
  log: Logger;
}

/** Longest a `none` pod's creation waits for its containers to start. */
const SETTLE_BOUND_MS = 100;

export class Runtime {
  readonly options: RuntimeOptions;
  /** By Network name; empty unless isolated. */
  readonly #nets: Map<string, HostNetwork>;
  readonly #launcher: Launcher;
  readonly #pods = new Set<PodRunner>();
  #podIndex = 0;

  private constructor(options: RuntimeOptions, nets: Map<string, HostNetwork>, launcher: Launcher) {
    this.options = options;
    this.#nets = nets;
    this.#launcher = launcher;
  }

  static async start(options: RuntimeOptions): Promise<Runtime> {
    await killLeftovers(options.tag);
    await rm(path.join(options.stateDir, 'pods'), { recursive: true, force: true });
    // Pods' files (their secrets too) are for root alone, as under /var/lib/kubelet/pods.
    await mkdir(path.join(options.stateDir, 'pods'), { recursive: true, mode: 0o700 });
    await chmod(path.join(options.stateDir, 'pods'), 0o700);
    const nets = new Map<string, HostNetwork>();
    if (options.mode === 'isolated') {
      // The first Network keeps the instance's historic bridge name (blbr-<tag>); the others are numbered.
      options.networks.forEach((n, i) => nets.set(n.name, new HostNetwork(options.tag, n.gateway, n.prefix, i)));
      await HostNetwork.startAll([...nets.values()], options.vpcCidrs);
      await registerInstance(options.tag);
    }
    // Isolated pods start through nsenter, which the shell launcher could run too; plain
    // processes are where start-up cost matters (large benchmarks), so they get it.
    const launcher = options.mode === 'none' ? new NullLauncher()
      : nets.size > 0 ? new NodeLauncher() : await ShellLauncher.create(path.join(options.stateDir, 'output'));
    return new Runtime(options, nets, launcher);
  }

  /** The address pods of `network` see as their host (status.hostIP): its gateway when isolated. */
  hostIP(network: string): string {
    return this.#nets.get(network)?.gateway ?? '127.0.0.1';
  }

  /** Starts the pod in the background; `onChange` fires whenever its status may have changed. */
  runPod(pod: CciPod, network: string, podIP: string, onChange: () => void): PodRunner {
    const launch = { backoff: this.options.backoff, launcher: this.#launcher, instanceEnv: { [INSTANCE_ENV]: this.options.tag } };
    const runner = new PodRunner(pod, podIP, this.hostIP(network), launch, onChange);
    this.#pods.add(runner);
    void this.#start(runner, network, podIP);
    return runner;
  }

  /**
   * Whether the creation's answer should wait for the pod's start, and then that wait: with
   * `none` a pod's containers start within microtasks (nothing runs), so its creation answers
   * Running, as an in-memory provider's does (bench/peer.ts compares engines on that same work).
   * A real backend answers Pending, and so do the other runtimes. Bounded: a postStart hook or an
   * init container, which never end here, leave the answer Pending.
   */
  async settled(runner: PodRunner): Promise<boolean> {
    if (this.options.mode !== 'none' || runner.init.length > 0) return false;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, SETTLE_BOUND_MS)));
    await Promise.race([Promise.all(runner.containers.map((c) => c.firstStart)), bound]);
    clearTimeout(timer);
    return true;
  }

  async #start(runner: PodRunner, network: string, podIP: string): Promise<void> {
    const index = this.#podIndex++;
    let sandbox: PodSandbox;
    try {
      const dir = path.join(this.options.stateDir, 'pods', runner.pod.metadata.uid ?? String(index));
      const net = this.#nets.get(network);
      if (net) {
        sandbox = await IsolatedSandbox.create(runner.pod, podIP, await preparePodDir(dir, runner.pod, podIP), net, index);
      } else {
        // Without a mount view the /etc files are of no use; volume content is still written.
        const hasVolumes = (runner.pod.spec.volumes ?? []).length > 0;
        sandbox = new ProcessSandbox(podIP, hasVolumes ? (await preparePodDir(dir, runner.pod, podIP)).dir : null);
      }
    } catch (err) {
      // Reported with the kubelet's event reasons, which burstlet node posts as Warnings.
      const message = errorMessage(err);
      this.options.log.warn({ pod: runner.pod.metadata.name, err: message }, 'pod sandbox failed');
      if (err instanceof VolumeError) runner.fail('FailedMount', `MountVolume.SetUp failed for volume ${JSON.stringify(err.volume)} : ${message}`);
      else runner.fail('FailedCreatePodSandBox', `Failed to create pod sandbox: ${message}`);
      return;
    }
    if (!this.#pods.has(runner)) {
      await sandbox.destroy(); // deleted while the sandbox was being made
      return;
    }
    await runner.run(sandbox);
  }

  /** Stops the pod within the grace period and removes everything it had on the host. */
  async deletePod(runner: PodRunner, graceSeconds: number): Promise<void> {
    this.#pods.delete(runner);
    await runner.stop(graceSeconds);
    await runner.sandbox?.destroy();
  }

  async stats(runner: PodRunner): Promise<CciPodStats> {
    const containers = await Promise.all(
      runner.containers.map(async (c) => {
        const usage = c.process?.pid ? await processTreeUsage(c.process.pid) : { cpuNs: 0n, rssBytes: 0 };
        const startedAt = c.state.running?.startedAt;
        return {
          name: c.spec.name,
          ...(startedAt ? { startTime: new Date(startedAt).toISOString() } : {}),
          usageCoreNanoSeconds: Number(usage.cpuNs),
          workingSetBytes: usage.rssBytes,
        };
      }),
    );
    return { name: runner.pod.metadata.name, namespace: runner.pod.metadata.namespace ?? '', startTime: runner.startTime.toISOString(), containers };
  }

  /** Kills every pod at once and removes all host objects of this instance. */
  async stop(): Promise<void> {
    const pods = [...this.#pods];
    await Promise.all(pods.map((p) => this.deletePod(p, 0)));
    if (this.#nets.size > 0) {
      await HostNetwork.stopAll(this.options.tag);
      await unregisterInstance(this.options.tag);
    }
    await this.#launcher.close();
    await rm(path.join(this.options.stateDir, 'pods'), { recursive: true, force: true });
  }
}

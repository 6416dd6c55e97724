// A trivial provider that runs pods in memory: what a pod does is what the test says
// (run, finish, vanish). It shows that the pod controller needs nothing of CCI.
import type { Pod, PodStatus } from '../../../src/kube/wire.ts';
import { PodWaitingError, type PodLifecycleHandler, type ProviderPodStatus } from '../../../src/provider/pods/provider.ts';

interface Running {
  pod: Pod;
  phase: 'Pending' | 'Running';
  deleting: boolean;
}

type Call = ['create' | 'update', string] | ['delete', string, number];

const keyOf = (pod: Pod): string => `${pod.metadata!.namespace}/${pod.metadata!.name}`;

export class MemoryProvider implements PodLifecycleHandler {
  readonly name = 'memory';
  /** Backend pods by uid. */
  readonly pods = new Map<string, Running>();
  readonly calls: Call[] = [];
  /** Keys of the pods prepare() was called for, in order. */
  readonly prepared: string[] = [];
  /** Errors the next calls of an operation throw, in order. */
  readonly failures: { create: Error[]; delete: Error[] } = { create: [], delete: [] };
  /** Keys of pods whose ConfigMap is missing: their creation waits. */
  readonly missingConfig = new Set<string>();
  /** Deletions complete only when the test says so (a grace period running). */
  holdDeletions = false;
  #notify: (key: string) => void = () => undefined;

  async start(): Promise<void> {}
  stop(): void {}

  notifyPods(onChange: (key: string) => void): void {
    this.#notify = onChange;
  }

  prepare(pod: Pod): void {
    this.prepared.push(keyOf(pod));
  }

  async createPod(pod: Pod): Promise<void> {
    this.calls.push(['create', keyOf(pod)]);
    const err = this.failures.create.shift();
    if (err) throw err;
    if (this.missingConfig.has(keyOf(pod))) throw new PodWaitingError('configmap "cm" not found');
    this.pods.set(pod.metadata!.uid!, { pod: structuredClone(pod), phase: 'Pending', deleting: false });
  }

  async updatePod(pod: Pod): Promise<void> {
    this.calls.push(['update', keyOf(pod)]);
    const running = this.pods.get(pod.metadata!.uid!);
    if (running) running.pod = structuredClone(pod);
  }

  async deletePod(pod: Pod, gracePeriodSeconds: number): Promise<void> {
    this.calls.push(['delete', keyOf(pod), gracePeriodSeconds]);
    const err = this.failures.delete.shift();
    if (err) throw err;
    const running = this.pods.get(pod.metadata!.uid!);
    if (!running) return;
    if (this.holdDeletions && gracePeriodSeconds > 0) running.deleting = true;
    else this.pods.delete(pod.metadata!.uid!);
  }

  async getPodStatus(pod: Pod): Promise<ProviderPodStatus | undefined> {
    const running = this.pods.get(pod.metadata!.uid!);
    return running && { status: statusOf(running), annotations: { 'memory.example/phase': running.phase } };
  }

  async getPods(): Promise<Pod[]> {
    return [...this.pods.values()].map((r) => ({ metadata: { ...r.pod.metadata, ...(r.deleting ? { deletionTimestamp: 'now' } : {}) } }));
  }

  /** The backend pod of `uid` starts its containers. */
  run(uid: string): void {
    const running = this.pods.get(uid)!;
    running.phase = 'Running';
    this.#notify(keyOf(running.pod));
  }

  /** A deletion held back finishes. */
  finishDeletion(uid: string): void {
    const running = this.pods.get(uid)!;
    this.pods.delete(uid);
    this.#notify(keyOf(running.pod));
  }

  /** The backend reports something of the pod with this key (a late or repeated notification). */
  notify(key: string): void {
    this.#notify(key);
  }

  /** The backend loses the pod (and tells). */
  lose(uid: string): void {
    this.finishDeletion(uid);
  }
}

function statusOf(r: Running): PodStatus {
  const running = r.phase === 'Running';
  return {
    phase: r.phase,
    podIP: running ? '198.18.0.9' : undefined,
    containerStatuses: (r.pod.spec?.containers ?? []).map((c) => ({
      name: c.name,
      image: c.image ?? '',
      imageID: '',
      ready: running,
      restartCount: 0,
      state: running ? { running: { startedAt: '2026-01-01T00:00:00Z' } } : { waiting: { reason: 'ContainerCreating' } },
    })),
  };
}

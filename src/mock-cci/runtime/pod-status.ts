// A pod's phase and conditions from its container statuses, as the kubelet computes them
// (pkg/kubelet/kubelet_pods.go getPhase and pkg/kubelet/status/generate.go). Pure.
import type { V1ContainerStatus, V1PodCondition } from '@kubernetes/client-node';
import type { CciPodPhase } from '../../cci/types.ts';

export interface PhaseInput {
  restartPolicy: 'Always' | 'OnFailure' | 'Never';
  initDone: boolean;
  initFailed: boolean;
  containers: readonly V1ContainerStatus[];
}

export function podPhase(input: PhaseInput): CciPodPhase {
  if (input.initFailed) return 'Failed';
  if (!input.initDone) return 'Pending';
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of input.containers) {
    if (c.state?.running) running++;
    else if (c.state?.terminated) {
      stopped++;
      if (c.state.terminated.exitCode === 0) succeeded++;
    } else if (c.state?.waiting) {
      if (c.lastState?.terminated) stopped++;
      else waiting++;
    } else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped === input.containers.length) {
    if (input.restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (input.restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

type Derived = Pick<V1PodCondition, 'type' | 'status' | 'reason' | 'message'>;

export interface ConditionInput {
  phase: CciPodPhase;
  sandboxReady: boolean;
  initDone: boolean;
  init: readonly V1ContainerStatus[];
  containers: readonly V1ContainerStatus[];
}

export function deriveConditions(input: ConditionInput): Derived[] {
  const t = (ok: boolean): 'True' | 'False' => (ok ? 'True' : 'False');
  const incomplete = input.init.filter((c) => !(c.state?.terminated?.exitCode === 0)).map((c) => c.name);
  const unready = input.containers.filter((c) => !c.ready).map((c) => c.name);
  const completed = input.phase === 'Succeeded';
  const readyReason = completed ? 'PodCompleted' : 'ContainersNotReady';
  const readyMessage = completed ? undefined : `containers with unready status: [${unready.join(' ')}]`;
  const ready = unready.length === 0 && input.initDone;
  const initialized: Derived = input.initDone
    ? { type: 'Initialized', status: 'True' }
    : { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: `containers with incomplete status: [${incomplete.join(' ')}]` };
  const readyCond = (type: 'Ready' | 'ContainersReady'): Derived =>
    ready && !completed ? { type, status: 'True' } : { type, status: 'False', reason: readyReason, ...(readyMessage ? { message: readyMessage } : {}) };
  return [
    { type: 'PodReadyToStartContainers', status: t(input.sandboxReady) },
    initialized,
    readyCond('Ready'),
    readyCond('ContainersReady'),
    { type: 'PodScheduled', status: 'True' },
  ];
}

/** Keeps lastTransitionTime stable while a condition's status does not change. */
export function withTransitionTimes(previous: readonly V1PodCondition[], derived: readonly Derived[], now: Date): V1PodCondition[] {
  return derived.map((d) => {
    const before = previous.find((p) => p.type === d.type);
    const lastTransitionTime = before && before.status === d.status ? before.lastTransitionTime : now;
    return { ...d, lastTransitionTime };
  });
}

// What a Kubernetes pod's status should say whatever runs it, as pure functions: while waiting
// for a missing ConfigMap/Secret, after a refusal or a lost backend pod, and the patch that
// brings the API's copy in line (written only when something changed).
import { sameJson } from '../../kube/canonical.ts';
import { rfc3339, type ContainerStatus, type Pod, type PodCondition, type PodStatus } from '../../kube/wire.ts';
import type { PodStatusPatch } from './pod-api.ts';
import { qosClass } from './qos.ts';

export interface StatusContext {
  /** The node's address, used as hostIP when the backend reports none. */
  nodeIP: string;
  /** RFC 3339 now, for conditions burstlet itself sets. */
  now: string;
}

export function scheduledCondition(pod: Pod, now: string): PodCondition {
  return pod.status?.conditions?.find((c) => c.type === 'PodScheduled') ?? { type: 'PodScheduled', status: 'True', lastTransitionTime: now };
}

/** The kubelet shows a container it has not started as waiting: ContainerCreating (or a reason given). */
export function waitingStatuses(names: { name: string; image?: string }[], reason: string, message?: string): ContainerStatus[] {
  return names.map((c) => ({
    name: c.name,
    image: c.image ?? '',
    imageID: '',
    ready: false,
    restartCount: 0,
    started: false,
    state: { waiting: message === undefined ? { reason } : { reason, message } },
  }));
}

/** Pending, not retrying yet: a ConfigMap/Secret the pod needs is missing (as the kubelet's CreateContainerConfigError). */
export function configErrorStatus(pod: Pod, message: string, ctx: StatusContext): PodStatus {
  const containers = pod.spec?.containers ?? [];
  return {
    phase: 'Pending',
    conditions: [scheduledCondition(pod, ctx.now)],
    hostIP: ctx.nodeIP,
    hostIPs: [{ ip: ctx.nodeIP }],
    qosClass: qosClass(pod),
    containerStatuses: waitingStatuses(containers, 'CreateContainerConfigError', message),
    startTime: pod.status?.startTime ?? ctx.now,
  };
}

/** Failed for good: the provider refused the pod, or its backend pod vanished after it ran. */
export function failedStatus(pod: Pod, reason: string, message: string, ctx: StatusContext): PodStatus {
  const status: PodStatus = {
    ...(pod.status ?? {}),
    phase: 'Failed',
    reason,
    message,
    conditions: [
      scheduledCondition(pod, ctx.now),
      ...['Initialized', 'ContainersReady', 'Ready'].map((type) => ({ type, status: 'False', reason, lastTransitionTime: ctx.now })),
    ],
    hostIP: pod.status?.hostIP ?? ctx.nodeIP,
    hostIPs: pod.status?.hostIPs ?? [{ ip: ctx.nodeIP }],
    qosClass: qosClass(pod),
    startTime: pod.status?.startTime ?? ctx.now,
  };
  status.containerStatuses = (pod.spec?.containers ?? []).map((c) => {
    const previous = pod.status?.containerStatuses?.find((s) => s.name === c.name);
    const running = previous?.state?.running;
    return {
      name: c.name,
      image: c.image ?? '',
      imageID: previous?.imageID ?? '',
      ready: false,
      started: false,
      restartCount: previous?.restartCount ?? 0,
      ...(previous?.containerID ? { containerID: previous.containerID } : {}),
      state: previous?.state?.terminated
        ? previous.state
        : { terminated: { exitCode: 137, reason, message, ...(running?.startedAt ? { startedAt: running.startedAt } : {}), finishedAt: ctx.now } },
    };
  });
  return status;
}

const STATUS_FIELDS = [
  'phase', 'reason', 'message', 'conditions', 'hostIP', 'hostIPs', 'podIP', 'podIPs',
  'startTime', 'qosClass', 'containerStatuses', 'initContainerStatuses',
] as const satisfies readonly (keyof PodStatus)[];

/** A time as the API server stores it (RFC 3339 in whole seconds, UTC); what does not parse stays as it is. */
function apiTime<T>(value: T): T {
  if (typeof value !== 'string') return value;
  const date = new Date(value);
  return (Number.isNaN(date.getTime()) ? value : rfc3339(date)) as T;
}

type ContainerState = NonNullable<ContainerStatus['state']>;

function stateWithApiTimes(state: ContainerState | undefined): ContainerState | undefined {
  if (!state) return state;
  const { running, terminated } = state;
  return {
    ...state,
    ...(running ? { running: { ...running, startedAt: apiTime(running.startedAt) } } : {}),
    ...(terminated ? { terminated: { ...terminated, startedAt: apiTime(terminated.startedAt), finishedAt: apiTime(terminated.finishedAt) } } : {}),
  };
}

function containersWithApiTimes(statuses: ContainerStatus[] | undefined): ContainerStatus[] | undefined {
  return statuses?.map((c) => ({ ...c, ...(c.state ? { state: stateWithApiTimes(c.state) } : {}), ...(c.lastState ? { lastState: stateWithApiTimes(c.lastState) } : {}) }));
}

/**
 * The status with every time in the API server's form. The API server keeps whole seconds: a
 * time with milliseconds (as CCI may report one) would differ from the stored copy at every
 * comparison and be written again at every sync.
 */
export function withApiTimes(status: PodStatus): PodStatus {
  const out: PodStatus = { ...status };
  if (status.startTime !== undefined) out.startTime = apiTime(status.startTime);
  if (status.conditions) out.conditions = status.conditions.map((c) => ({ ...c, ...(c.lastTransitionTime !== undefined ? { lastTransitionTime: apiTime(c.lastTransitionTime) } : {}), ...(c.lastProbeTime ? { lastProbeTime: apiTime(c.lastProbeTime) } : {}) }));
  if (status.containerStatuses) out.containerStatuses = containersWithApiTimes(status.containerStatuses)!;
  if (status.initContainerStatuses) out.initContainerStatuses = containersWithApiTimes(status.initContainerStatuses)!;
  return out;
}

/**
 * The JSON merge patch of pods/{name}/status that turns the pod's status into `desired`
 * (fields burstlet owns only; lists are replaced whole, fields to clear are null) and adds
 * `wantAnnotations` (the status subresource may write annotations: no extra request), or
 * undefined when nothing changed. Times are written as the API server keeps them; conditions
 * compare without their times.
 */
export function statusPatch(
  pod: Pod,
  desired: PodStatus,
  wantAnnotations: Record<string, string> = {},
): PodStatusPatch | undefined {
  const current = (pod.status ?? {}) as Record<string, unknown>;
  const want = withApiTimes(desired) as Record<string, unknown>;
  const status: Record<string, unknown> = {};
  for (const field of STATUS_FIELDS) {
    const same = field === 'conditions' ? sameConditions(current[field], want[field]) : sameJson(current[field], want[field]);
    if (!same) status[field] = want[field] ?? null;
  }
  const have = pod.metadata?.annotations ?? {};
  const missing = Object.fromEntries(Object.entries(wantAnnotations).filter(([k, v]) => have[k] !== v));
  const patch: PodStatusPatch = {};
  if (Object.keys(status).length > 0) patch.status = status;
  if (Object.keys(missing).length > 0) patch.metadata = { annotations: missing };
  return patch.status || patch.metadata ? patch : undefined;
}

/** Conditions are the same when each type has the same status, reason and message, in any order. */
function sameConditions(a: unknown, b: unknown): boolean {
  const x = (a as PodCondition[] | null | undefined) ?? [];
  const y = (b as PodCondition[] | null | undefined) ?? [];
  return x.length === y.length && x.every((c) => {
    const d = y.find((e) => e.type === c.type);
    return d !== undefined && sameJson(c.status, d.status) && sameJson(c.reason, d.reason) && sameJson(c.message, d.message);
  });
}

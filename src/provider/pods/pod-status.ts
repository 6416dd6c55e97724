// What the Kubernetes pod's status should say, as pure functions: from the CCI pod (status
// sync), while waiting for a missing ConfigMap/Secret, or after a refusal. `statusPatch`
// compares with the current status so that the API is written only when something changed.
import { annotations, type CciPod } from '../../cci/types.ts';
import { asWire, type ContainerStatus, type Pod, type PodCondition, type PodStatus } from '../kube/wire.ts';
import { SIDECAR_CONTAINER_NAME } from '../../network/sidecar-injection.ts';
import { sameJson } from '../kube/canonical.ts';
import { qosClass } from './qos.ts';


export interface StatusContext {
  /** The node's address, used as hostIP when CCI reports none. */
  nodeIP: string;
  /** RFC 3339 now, for conditions burstlet itself sets. */
  now: string;
  /** The networking sidecar's last logged error, when it is known (see sidecar-diagnosis.ts). */
  sidecarError?: string;
}

function scheduledCondition(pod: Pod, now: string): PodCondition {
  return pod.status?.conditions?.find((c) => c.type === 'PodScheduled') ?? { type: 'PodScheduled', status: 'True', lastTransitionTime: now };
}

/** The kubelet shows a container it has not started as waiting: ContainerCreating (or a reason given). */
function waitingStatuses(names: { name: string; image?: string }[], reason: string, message?: string): ContainerStatus[] {
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

/** Orders statuses as the spec lists the containers and drops the networking sidecar's (never shown in the Kubernetes pod). */
function visibleStatuses(statuses: ContainerStatus[] | undefined, spec: { name: string }[]): ContainerStatus[] | undefined {
  if (!statuses) return undefined;
  const order = new Map(spec.map((c, i) => [c.name, i]));
  return statuses
    .filter((s) => s.name !== SIDECAR_CONTAINER_NAME && order.has(s.name))
    .sort((a, b) => order.get(a.name)! - order.get(b.name)!);
}

/** The pod condition that shows the networking sidecar's health (the sidecar itself stays hidden). */
export const NETWORK_READY_CONDITION = 'burstlet.io/NetworkReady';

/**
 * Why the networking sidecar is not ready, when that is known: its container cannot start (its
 * waiting reason: ErrImagePull, CrashLoopBackOff, ...; the sidecar's status is hidden from the
 * pod, so this is the only place users see it), else the last error it logged.
 */
export function sidecarCause(sidecar: ContainerStatus | undefined, sidecarError: string | undefined): string | undefined {
  const waiting = sidecar?.state?.waiting;
  if (waiting?.reason && waiting.reason !== 'ContainerCreating' && waiting.reason !== 'PodInitializing') {
    return waiting.message ? `${waiting.reason}: ${waiting.message}` : waiting.reason;
  }
  return sidecarError;
}

/**
 * With a sidecar in the CCI pod, CCI's ContainersReady/Ready also count it; the Kubernetes pod's
 * must count the user's containers only, as the kubelet would, and the sidecar's readiness
 * becomes a condition of its own.
 */
function withSidecarConditions(conditions: PodCondition[], sidecar: ContainerStatus, visible: ContainerStatus[], completed: boolean, cause: string | undefined): PodCondition[] {
  const unready = visible.filter((c) => !c.ready).map((c) => c.name);
  const mend = (c: PodCondition): PodCondition => {
    if (c.type !== 'ContainersReady' && c.type !== 'Ready') return c;
    if (completed) return { ...c, status: 'False', reason: 'PodCompleted', message: '' };
    if (unready.length === 0) return { type: c.type, status: 'True', ...(c.lastTransitionTime ? { lastTransitionTime: c.lastTransitionTime } : {}) };
    return { ...c, status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` };
  };
  const since = sidecar.state?.running?.startedAt;
  const network: PodCondition = sidecar.ready
    ? { type: NETWORK_READY_CONDITION, status: 'True', ...(since ? { lastTransitionTime: since } : {}) }
    : {
      type: NETWORK_READY_CONDITION,
      status: 'False',
      reason: 'SidecarNotReady',
      message: `the burstlet-network sidecar is not ready${cause ? ` (${cause})` : ''}: ClusterIP Services and cluster DNS may be unreachable from this pod`,
      ...(since ? { lastTransitionTime: since } : {}),
    };
  return [...conditions.map(mend), network];
}

/**
 * The phase the kubelet would give the pod (getPhase), counting the user's containers only: CCI
 * keeps a pod Running while the networking sidecar runs, after a Job's container has ended.
 */
function phaseOfUserContainers(phase: PodStatus['phase'], visible: ContainerStatus[], restartPolicy: string | undefined): PodStatus['phase'] {
  if (phase !== 'Running' || restartPolicy === 'Always' || restartPolicy === undefined || visible.length === 0) return phase;
  if (!visible.every((c) => c.state?.terminated)) return phase;
  const failed = visible.some((c) => c.state!.terminated!.exitCode !== 0);
  if (restartPolicy === 'Never') return failed ? 'Failed' : 'Succeeded';
  // OnFailure: a failed container restarts, so only success ends the pod.
  return failed ? phase : 'Succeeded';
}

/** The status the Kubernetes pod should have while its CCI pod exists. */
export function statusFromCci(pod: Pod, cci: CciPod, ctx: StatusContext): PodStatus {
  const s = asWire(cci.status) ?? { phase: 'Pending' as const };
  const containers = pod.spec?.containers ?? [];
  const inits = pod.spec?.initContainers ?? [];
  let conditions = [scheduledCondition(pod, ctx.now), ...(s.conditions ?? []).filter((c) => c.type !== 'PodScheduled')];
  const visible = visibleStatuses(s.containerStatuses, containers);
  const sidecar = s.containerStatuses?.find((c) => c.name === SIDECAR_CONTAINER_NAME);
  const phase = sidecar && visible ? phaseOfUserContainers(s.phase, visible, pod.spec?.restartPolicy) : s.phase;
  if (sidecar && visible) conditions = withSidecarConditions(conditions, sidecar, visible, phase === 'Succeeded' || phase === 'Failed', sidecarCause(sidecar, ctx.sidecarError));
  const hostIP = s.hostIP ?? ctx.nodeIP;
  const status: PodStatus = {
    phase,
    conditions,
    hostIP,
    hostIPs: [{ ip: hostIP }],
    qosClass: qosClass(pod),
    containerStatuses: visible ?? waitingStatuses(containers, 'ContainerCreating'),
  };
  const initStatuses = visibleStatuses(s.initContainerStatuses, inits);
  if (inits.length > 0) status.initContainerStatuses = initStatuses ?? waitingStatuses(inits, 'PodInitializing');
  if (s.reason) status.reason = s.reason;
  if (s.message) status.message = s.message;
  if (s.podIP) {
    status.podIP = s.podIP;
    status.podIPs = [{ ip: s.podIP }];
  }
  const startTime = s.startTime ?? pod.status?.startTime;
  if (startTime) status.startTime = startTime;
  return status;
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

/** Failed for good: burstlet refused the pod, or its CCI pod vanished after it ran. */
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

/** The flavor annotations CCI pods carry that burstlet copies onto the Kubernetes pod. */
export function flavorAnnotations(cci: CciPod): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of [annotations.flavorCPU, annotations.flavorMemory]) {
    const value = cci.metadata.annotations?.[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/**
 * The JSON merge patch of pods/{name}/status that turns the pod's status into `desired`
 * (fields burstlet owns only; lists are replaced whole, fields to clear are null) and adds
 * `wantAnnotations` (the status subresource may write annotations: no extra request), or
 * undefined when nothing changed. Conditions compare without their times.
 */
export function statusPatch(
  pod: Pod,
  desired: PodStatus,
  wantAnnotations: Record<string, string> = {},
): { status?: Record<string, unknown>; metadata?: { annotations: Record<string, string> } } | undefined {
  const current = (pod.status ?? {}) as Record<string, unknown>;
  const want = desired as Record<string, unknown>;
  const status: Record<string, unknown> = {};
  for (const field of STATUS_FIELDS) {
    const same = field === 'conditions' ? sameConditions(current[field], want[field]) : sameJson(current[field], want[field]);
    if (!same) status[field] = want[field] ?? null;
  }
  const have = pod.metadata?.annotations ?? {};
  const missing = Object.fromEntries(Object.entries(wantAnnotations).filter(([k, v]) => have[k] !== v));
  const patch: { status?: Record<string, unknown>; metadata?: { annotations: Record<string, string> } } = {};
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

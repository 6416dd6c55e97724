// What the Kubernetes pod's status should say while its CCI pod exists, as pure functions:
// CCI's status with the networking sidecar hidden (its health a condition of its own), and
// the flavor CCI sized the pod to.
import { annotations, type CciPodState } from '../cci/types.ts';
import { asWire, type ContainerStatus, type Pod, type PodCondition, type PodStatus } from '../kube/wire.ts';
import { SIDECAR_CONTAINER_NAME } from '../network/sidecar-injection.ts';
import { scheduledCondition, waitingStatuses, type StatusContext } from '../provider/pods/pod-status.ts';
import { qosClass } from '../provider/pods/qos.ts';

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

/** The status the Kubernetes pod should have while its CCI pod exists; sidecarError: the sidecar's last logged error, if known. */
export function statusFromCci(pod: Pod, cci: CciPodState, ctx: StatusContext & { sidecarError?: string }): PodStatus {
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

/** The flavor annotations CCI pods carry that burstlet copies onto the Kubernetes pod. */
export function flavorAnnotations(cci: CciPodState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of [annotations.flavorCPU, annotations.flavorMemory]) {
    const value = cci.metadata.annotations?.[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}


// The kubelet's per-container events, derived from the container statuses a provider reports.
// Providers report states, not the steps that led to them (CCI pulls images and creates
// containers itself), so burstlet says only what a status shows: no Pulling/Pulled, and no
// Created, which the kubelet posts between its own create and start calls but which burstlet
// could only post at the same instant as Started (one event per start is also one API write
// per container, virtual-kubelet's count). A pull that fails shows as waiting reasons
// (ErrImagePull, ImagePullBackOff, InvalidImageName), which get the kubelet's
// Failed/BackOff/InspectFailed. A container instance seen for the first time (first start, or
// restartCount grew) yields Started (Failed when it could not start); entering CrashLoopBackOff
// yields BackOff.
import type { ContainerStatus } from '../../kube/wire.ts';

export interface ContainerEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** spec.containers{name} or spec.initContainers{name} */
  fieldPath: string;
}

function started(s: ContainerStatus | undefined): boolean {
  return Boolean(s?.state?.running || s?.state?.terminated);
}

/**
 * The newest container instance a status shows: its current state once it started, else the
 * one that ended before a back-off (lastState), which a status write may be the first to show.
 */
function newestInstance(s: ContainerStatus | undefined): NonNullable<ContainerStatus['state']> | undefined {
  if (started(s)) return s!.state;
  return s?.lastState?.terminated ? s.lastState : undefined;
}

/** The kubelet's events for a container that cannot get its image, by the waiting reason CCI reports. */
function imageEvents(now: ContainerStatus, was: ContainerStatus | undefined, fieldPath: string): ContainerEvent[] {
  const reason = now.state?.waiting?.reason;
  if (reason === undefined || reason === was?.state?.waiting?.reason) return [];
  const message = now.state?.waiting?.message ?? '';
  const failed = (): ContainerEvent => ({ type: 'Warning', reason: 'Failed', message: `Error: ${reason}`, fieldPath });
  switch (reason) {
    case 'ErrImagePull':
      return [{ type: 'Warning', reason: 'Failed', message: `Failed to pull image ${JSON.stringify(now.image)}: ${message}`, fieldPath }, failed()];
    case 'ImagePullBackOff':
      return [{ type: 'Normal', reason: 'BackOff', message: `Back-off pulling image ${JSON.stringify(now.image)}`, fieldPath }, failed()];
    case 'InvalidImageName':
      return [{ type: 'Warning', reason: 'InspectFailed', message, fieldPath }, failed()];
    default:
      return [];
  }
}

export function containerEvents(
  before: readonly ContainerStatus[] | undefined,
  after: readonly ContainerStatus[] | undefined,
  field: 'containers' | 'initContainers',
): ContainerEvent[] {
  const events: ContainerEvent[] = [];
  for (const now of after ?? []) {
    const was = before?.find((s) => s.name === now.name);
    const fieldPath = `spec.${field}{${now.name}}`;
    const instance = newestInstance(now);
    const newInstance = instance !== undefined && (newestInstance(was) === undefined || (now.restartCount ?? 0) > (was?.restartCount ?? 0));
    if (newInstance) {
      // A container that could not start (its command is missing, ...) failed instead.
      const startError = instance.terminated?.reason === 'StartError';
      events.push(startError
        ? { type: 'Warning', reason: 'Failed', message: `Error: ${instance.terminated!.message ?? 'the container could not start'}`, fieldPath }
        : { type: 'Normal', reason: 'Started', message: `Started container ${now.name}`, fieldPath });
    }
    const backOff = now.state?.waiting?.reason === 'CrashLoopBackOff';
    if (backOff && was?.state?.waiting?.reason !== 'CrashLoopBackOff') {
      events.push({ type: 'Warning', reason: 'BackOff', message: `Back-off restarting failed container ${now.name}`, fieldPath });
    }
    events.push(...imageEvents(now, was, fieldPath));
  }
  return events;
}

/** Pod-level failures CCI reports with the kubelet's event reasons (the mock's sandbox and volume failures). */
export const POD_FAILURE_REASONS: ReadonlySet<string> = new Set(['FailedCreatePodSandBox', 'FailedMount', 'DeadlineExceeded']);

/** The Warning the kubelet would post when the pod newly carries one of those reasons. */
export function podFailureEvent(before: { reason?: string } | undefined, after: { reason?: string; message?: string }): Omit<ContainerEvent, 'fieldPath'> | undefined {
  if (after.reason === undefined || !POD_FAILURE_REASONS.has(after.reason) || before?.reason === after.reason) return undefined;
  return { type: 'Warning', reason: after.reason, message: after.message ?? '' };
}

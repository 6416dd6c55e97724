// The Job controller's decision for one sync, pure: keep min(parallelism, completions -
// succeeded) pods running, recreate failed ones after an exponential backoff (10 s, doubling,
// at most 6 min), fail the Job past backoffLimit or activeDeadlineSeconds, complete it at
// `completions` successes, and report the counts and conditions `kubectl wait` reads.
import type { WorkloadEvent } from './deployment.ts';
import { byCreation, isActive, isReady, type Job, type Pod } from './objects.ts';

export type JobStatus = NonNullable<Job['status']>;
type Condition = NonNullable<JobStatus['conditions']>[number];

export const BACKOFF_BASE_MS = 10_000;
export const BACKOFF_MAX_MS = 6 * 60_000;

export interface JobPlan {
  create: number;
  delete: Pod[];
  status: JobStatus;
  events: WorkloadEvent[];
  requeueAfterMs?: number;
}

const hasCondition = (job: Job, type: string): boolean => job.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;

function cond(type: string, reason: string, message: string, ts: string): Condition {
  return { type, status: 'True', reason, message, lastProbeTime: ts, lastTransitionTime: ts };
}

/** When a failed pod finished (its containers' finishedAt, else its last condition change). */
function finishedAt(pod: Pod): number {
  const times = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])]
    .map((c) => c.state?.terminated?.finishedAt)
    .concat((pod.status?.conditions ?? []).map((c) => c.lastTransitionTime))
    .map((t) => Date.parse(t ?? ''))
    .filter((t) => !Number.isNaN(t));
  return times.length === 0 ? 0 : Math.max(...times);
}

export function planJob(job: Job, owned: readonly Pod[], now: number): JobPlan {
  const ts = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const spec = job.spec ?? { template: {} };
  const old = job.status ?? {};
  const active = owned.filter(isActive);
  const failedPods = owned.filter((p) => p.status?.phase === 'Failed');
  const succeeded = Math.max(old.succeeded ?? 0, owned.filter((p) => p.status?.phase === 'Succeeded').length);
  const failed = Math.max(old.failed ?? 0, failedPods.length);
  const startTime = old.startTime ?? ts;
  const plan: JobPlan = { create: 0, delete: [], status: {}, events: [] };
  let conditions: Condition[] = [...(old.conditions ?? [])];
  const add = (c: Condition): void => {
    if (!conditions.some((x) => x.type === c.type && x.status === 'True')) conditions = [...conditions, c];
  };

  const finishedJob = hasCondition(job, 'Complete') || hasCondition(job, 'Failed');
  const restarts = spec.template.spec?.restartPolicy === 'OnFailure'
    ? active.flatMap((p) => [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])]).reduce((n, c) => n + (c.restartCount ?? 0), 0)
    : 0;
  const backoffLimit = spec.backoffLimit ?? 6;
  const deadline = spec.activeDeadlineSeconds;
  let failure: { reason: string; message: string } | undefined;
  if (hasCondition(job, 'FailureTarget')) {
    const target = conditions.find((c) => c.type === 'FailureTarget')!;
    failure = { reason: target.reason ?? '', message: target.message ?? '' };
  } else if (!finishedJob && (failed > backoffLimit || (restarts > 0 && restarts >= backoffLimit))) {
    failure = { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
  } else if (!finishedJob && deadline !== undefined && Date.parse(startTime) + deadline * 1000 <= now) {
    failure = { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
  }
  const completions = spec.completions;
  const complete = !finishedJob && !failure && (completions !== undefined ? succeeded >= completions : succeeded > 0 && active.length === 0);

  if (finishedJob || failure || complete || spec.suspend) {
    plan.delete = active;
  }
  if (failure && !hasCondition(job, 'FailureTarget')) {
    add(cond('FailureTarget', failure.reason, failure.message, ts));
    plan.events.push({ type: 'Warning', reason: failure.reason, message: failure.message });
  }
  if (failure && active.length === 0) add(cond('Failed', failure.reason, failure.message, ts));
  if (complete) {
    add(cond('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods', ts));
    add(cond('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods', ts));
    plan.events.push({ type: 'Normal', reason: 'Completed', message: 'Job completed' });
  }
  if (!finishedJob && !failure && !complete && !spec.suspend) {
    const parallelism = spec.parallelism ?? 1;
    const want = completions !== undefined ? Math.min(parallelism, completions - succeeded) : succeeded > 0 ? 0 : parallelism;
    if (active.length > want) plan.delete = [...active].sort(byCreation).reverse().slice(0, active.length - want);
    if (active.length < want) {
      // Failures since the last success set the pace of new pods.
      const lastFailure = Math.max(0, ...failedPods.map(finishedAt));
      const delay = failedPods.length === 0 ? 0 : Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (failedPods.length - 1));
      const wait = lastFailure + delay - now;
      if (wait > 0) plan.requeueAfterMs = wait;
      else plan.create = want - active.length;
    }
    if (deadline !== undefined) {
      const left = Date.parse(startTime) + deadline * 1000 - now;
      plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? left, left);
    }
  }
  const status: JobStatus = {
    ...(old.startTime || !spec.suspend ? { startTime } : {}),
    active: active.length,
    ready: active.filter(isReady).length,
    ...(succeeded > 0 ? { succeeded } : {}),
    ...(failed > 0 ? { failed } : {}),
    terminating: owned.filter((p) => p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed').length,
    uncountedTerminatedPods: {},
    ...(conditions.length > 0 ? { conditions } : {}),
  };
  if (status.active === 0) delete status.active;
  const completedNow = complete || hasCondition(job, 'Complete');
  if (completedNow) status.completionTime = old.completionTime ?? ts;
  plan.status = status;
  return plan;
}

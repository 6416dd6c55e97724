import { describe, expect, it } from 'vitest';
import { planJob } from '../../../src/local/workloads/job.ts';
import type { Pod } from '../../../src/local/workloads/objects.ts';
import { ago, job, NOW, pod } from './fixtures.ts';

const run = (name: string, phase = 'Running', finishedSecondsAgo = 0): Pod => {
  const p = pod({ name, phase, ...(phase === 'Running' ? { readyFor: 5 } : {}) });
  if (phase === 'Failed' || phase === 'Succeeded') {
    p.status!.containerStatuses = [{ name: 'c', image: 'x', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: phase === 'Failed' ? 1 : 0, finishedAt: ago(finishedSecondsAgo) } } }];
  }
  return p;
};
const types = (plan: ReturnType<typeof planJob>): string[] => (plan.status.conditions ?? []).map((c) => `${c.type}:${c.reason}`);

describe('planJob', () => {
  it.each([
    ['starts parallelism pods', job({ parallelism: 3, completions: 5 }), [], 3, []],
    ['no more than completions left', job({ parallelism: 3, completions: 5 }), [run('a', 'Succeeded'), run('b', 'Succeeded'), run('c', 'Succeeded'), run('d')], 1, []],
    ['completes at completions', job({ completions: 2 }), [run('a', 'Succeeded'), run('b', 'Succeeded')], 0, ['SuccessCriteriaMet:CompletionsReached', 'Complete:CompletionsReached']],
    ['waits 10 s after a failure', job(), [run('a', 'Failed', 3)], 0, []],
    ['replaces a failed pod after the backoff', job(), [run('a', 'Failed', 11)], 1, []],
    ['the backoff doubles per failure', job(), [run('a', 'Failed', 100), run('b', 'Failed', 15)], 0, []],
    ['fails past backoffLimit', job({ backoffLimit: 1 }), [run('a', 'Failed', 100), run('b', 'Failed', 50)], 0, ['FailureTarget:BackoffLimitExceeded', 'Failed:BackoffLimitExceeded']],
    ['fails past activeDeadlineSeconds and stops its pod', job({ activeDeadlineSeconds: 1 }), [run('a')], 0, ['FailureTarget:DeadlineExceeded']],
  ] as [string, ReturnType<typeof job>, Pod[], number, string[]][])('%s', (_name, j, pods, create, conditions) => {
    const plan = planJob(j, pods, NOW);
    expect(plan.create).toBe(create);
    expect(types(plan)).toEqual(conditions);
  });

  it('counts what its pods did and when it finished', () => {
    const plan = planJob(job({ completions: 1 }), [run('a', 'Failed', 60), run('b', 'Succeeded')], NOW);
    expect(plan.status).toMatchObject({ succeeded: 1, failed: 1, startTime: ago(5), completionTime: ago(0), uncountedTerminatedPods: {} });
    expect(plan.events).toEqual([{ type: 'Normal', reason: 'Completed', message: 'Job completed' }]);
  });

  it('deletes the running pods of a job that failed', () => {
    const plan = planJob(job({ activeDeadlineSeconds: 1 }), [run('a')], NOW);
    expect(plan.delete.map((p) => p.metadata?.name)).toEqual(['a']);
    expect(plan.events).toEqual([{ type: 'Warning', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }]);
  });
});

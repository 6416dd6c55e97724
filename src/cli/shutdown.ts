// Stopping a long-running subcommand on SIGTERM or SIGINT within the grace period Kubernetes
// gives its pod (30 s by default): an orderly stop, and an exit regardless past a deadline, so
// that a stop waiting on something stuck never ends in a SIGKILL.
import type { Logger } from '../log/logger.ts';

/** Well inside the default terminationGracePeriodSeconds (30). */
export const STOP_DEADLINE_MS = 20_000;

export type StopOutcome = { kind: 'stopped' } | { kind: 'failed'; error: unknown } | { kind: 'late' };

/** Runs `stop`, settling at the latest after `deadlineMs`. */
export function stopWithin(stop: () => Promise<void>, deadlineMs: number): Promise<StopOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<StopOutcome>((resolve) => (timer = setTimeout(() => resolve({ kind: 'late' }), deadlineMs)));
  const done = stop().then((): StopOutcome => ({ kind: 'stopped' }), (error: unknown): StopOutcome => ({ kind: 'failed', error }));
  return Promise.race([done, late]).finally(() => clearTimeout(timer));
}

/** On the first SIGTERM or SIGINT: stop, then exit (0 when the stop completed in time, else 1). */
export function exitOnSignals(stop: () => Promise<void>, log: Logger, deadlineMs = STOP_DEADLINE_MS): void {
  const onSignal = (signal: NodeJS.Signals): void => {
    log.info({ signal }, 'stopping');
    void stopWithin(stop, deadlineMs).then((outcome) => {
      if (outcome.kind === 'failed') log.error({ err: String(outcome.error) }, 'stop failed; exiting');
      if (outcome.kind === 'late') log.error({ deadlineMs }, 'stop did not finish in time; exiting anyway');
      process.exit(outcome.kind === 'stopped' ? 0 : 1);
    });
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

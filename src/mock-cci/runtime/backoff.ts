// The kubelet's CrashLoopBackOff schedule: the first restart is immediate, then the delay
// starts at the base (10 s) and doubles up to the cap (5 min). A container that ran longer
// than the reset window without crashing starts the schedule again.

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** Run time after which the schedule resets (the kubelet uses twice the cap). */
  resetAfterMs: number;
}

export function defaultBackoff(baseMs = 10_000): BackoffPolicy {
  const maxMs = Math.max(baseMs, 300_000 * (baseMs / 10_000));
  return { baseMs, maxMs, resetAfterMs: 2 * maxMs };
}

/** Delay before restart number `restartCount + 1`, given how many restarts came before. */
export function restartDelayMs(policy: BackoffPolicy, consecutiveRestarts: number): number {
  if (consecutiveRestarts <= 0) return 0;
  return Math.min(policy.maxMs, policy.baseMs * 2 ** (consecutiveRestarts - 1));
}

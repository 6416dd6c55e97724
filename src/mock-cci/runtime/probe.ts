// One probe of one container instance, run on the kubelet's schedule: first after
// initialDelaySeconds, then every periodSeconds; the result flips to success after
// successThreshold consecutive successes and to failure after failureThreshold consecutive
// failures. One timer per probe, no faster than its period.
import type { V1Probe } from '@kubernetes/client-node';
import { runAction, type ActionContext } from './actions.ts';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

export interface ProbeTiming {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

export function probeTiming(probe: V1Probe): ProbeTiming {
  return {
    initialDelayMs: (probe.initialDelaySeconds ?? 0) * 1000,
    periodMs: (probe.periodSeconds ?? 10) * 1000,
    timeoutMs: (probe.timeoutSeconds ?? 1) * 1000,
    successThreshold: probe.successThreshold ?? 1,
    failureThreshold: probe.failureThreshold ?? 3,
  };
}

/** Counts consecutive outcomes and says when the reported result changes. Pure. */
export class ProbeVerdict {
  readonly #timing: ProbeTiming;
  #successes = 0;
  #failures = 0;
  #result: boolean | null = null;

  constructor(timing: ProbeTiming) {
    this.#timing = timing;
  }

  /** Returns the new result when this outcome changes it, else null. */
  record(ok: boolean): boolean | null {
    if (ok) {
      this.#failures = 0;
      this.#successes++;
      if (this.#result !== true && this.#successes >= this.#timing.successThreshold) return (this.#result = true);
    } else {
      this.#successes = 0;
      this.#failures++;
      if (this.#result !== false && this.#failures >= this.#timing.failureThreshold) return (this.#result = false);
    }
    return null;
  }
}

export class ProbeLoop {
  readonly kind: ProbeKind;
  readonly #timing: ProbeTiming;
  readonly #probe: V1Probe;
  readonly #ctx: ActionContext;
  readonly #onResult: (ok: boolean, message: string) => void;
  readonly #verdict: ProbeVerdict;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(kind: ProbeKind, probe: V1Probe, ctx: Omit<ActionContext, 'timeoutMs'>, onResult: (ok: boolean, message: string) => void) {
    this.kind = kind;
    this.#probe = probe;
    this.#timing = probeTiming(probe);
    this.#ctx = { ...ctx, timeoutMs: this.#timing.timeoutMs };
    this.#onResult = onResult;
    this.#verdict = new ProbeVerdict(this.#timing);
  }

  start(): void {
    this.#schedule(this.#timing.initialDelayMs);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  #schedule(delay: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#tick(), delay);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    const started = Date.now();
    const outcome = await runAction(this.#probe, this.#ctx);
    if (this.#stopped) return;
    const change = this.#verdict.record(outcome.ok);
    if (change !== null) this.#onResult(change, outcome.message);
    this.#schedule(Math.max(0, this.#timing.periodMs - (Date.now() - started)));
  }
}

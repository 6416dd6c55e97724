// Deterministic fault injection: one seeded PRNG (mulberry32) drawn in request order, so the
// same seed and the same request sequence give the same faults. An injected error is either
// refused before the handler runs (503, 429) or, for writes, a 500 after the handler has done
// its work (the "lost response" that makes clients retry creations and deletions).

export interface FaultOptions {
  latencyMs: number;
  errorRate: number;
  dropWatchAfterMs: number;
  seed: number;
}

export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'before'; code: 429 | 503 }
  | { kind: 'after'; code: 500 };

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  readonly options: FaultOptions;
  readonly #random: () => number;

  constructor(options: FaultOptions) {
    this.options = options;
    this.#random = mulberry32(options.seed);
  }

  get enabled(): boolean {
    return this.options.errorRate > 0 || this.options.latencyMs > 0 || this.options.dropWatchAfterMs > 0;
  }

  /** Draws the fate of one request; `write` says whether it changes state (POST, DELETE). */
  decide(write: boolean): FaultDecision {
    if (this.options.errorRate <= 0) return { kind: 'none' };
    const hit = this.#random() < this.options.errorRate;
    const which = this.#random();
    if (!hit) return { kind: 'none' };
    if (write && which < 1 / 3) return { kind: 'after', code: 500 };
    return { kind: 'before', code: which < 2 / 3 ? 503 : 429 };
  }
}

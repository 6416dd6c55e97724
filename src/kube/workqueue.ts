// A keyed work queue in the style of client-go's: a key is processed by at most one worker at
// a time (per-key serialization); adding a key that is already queued is a no-op, and adding
// one that is being processed makes it run once more afterwards, so no change is ever lost.
// A handler that throws is retried after an exponential, per-key backoff with jitter.
// Keys added with `urgent` go before the others: a cheap status update must not wait behind
// a thousand pod creations.
import { systemClock, type Clock } from './clock.ts';

export interface WorkQueueOptions {
  /** How many keys are processed concurrently. */
  workers: number;
  /** First retry delay; doubles per consecutive failure of the same key. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Called when a handler throws; `delayMs` is when the key will be tried again, `failures` how many times in a row it failed. */
  onError?: (key: string, err: unknown, delayMs: number, failures: number) => void;
  /** Injected for tests: returns a number in [0, 1). */
  random?: () => number;
  /** Times delayed adds and retries. */
  clock?: Clock;
}

export type KeyHandler = (key: string) => Promise<void>;

/** The retry delay after `failures` consecutive failures (1-based), jittered by ±20%. */
export function backoffDelay(failures: number, baseMs: number, maxMs: number, random: () => number): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(exp * (0.8 + 0.4 * random()));
}

export class WorkQueue {
  readonly #handler: KeyHandler;
  readonly #workers: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #onError: WorkQueueOptions['onError'];
  readonly #random: () => number;
  readonly #clock: Clock;
  /** Keys waiting for a worker, in arrival order, urgent ones apart; `#queued` says which list holds a key. */
  readonly #lists = { urgent: new KeyList(), normal: new KeyList() };
  readonly #queued = new Map<string, 'urgent' | 'normal'>();
  readonly #processing = new Set<string>();
  /** Keys added while being processed, and whether urgently: re-queued when their handler returns. */
  readonly #dirty = new Map<string, boolean>();
  readonly #failures = new Map<string, number>();
  /** Delayed adds, by key: each cancels its timer. */
  readonly #timers = new Map<string, () => void>();
  #idleWaiters: (() => void)[] = [];
  #stopped = false;

  constructor(handler: KeyHandler, options: WorkQueueOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) throw new Error('workers must be a positive integer');
    this.#handler = handler;
    this.#workers = options.workers;
    this.#baseDelayMs = options.baseDelayMs ?? 100;
    this.#maxDelayMs = options.maxDelayMs ?? 30_000;
    this.#onError = options.onError;
    this.#random = options.random ?? Math.random;
    this.#clock = options.clock ?? systemClock;
  }

  /** Queues `key` now (cancelling a pending delayed add of it); `urgent` keys are taken first. */
  add(key: string, urgent = false): void {
    if (this.#stopped) return;
    const cancel = this.#timers.get(key);
    if (cancel) {
      cancel();
      this.#timers.delete(key);
    }
    if (this.#processing.has(key)) {
      this.#dirty.set(key, urgent || (this.#dirty.get(key) ?? false));
      return;
    }
    const where = this.#queued.get(key);
    if (where === 'urgent' || (where === 'normal' && !urgent)) return;
    // A normal entry promoted to urgent stays in the normal list and is skipped there.
    const list = urgent ? 'urgent' : 'normal';
    this.#queued.set(key, list);
    this.#lists[list].push(key);
    this.#pump();
  }

  /** Queues `key` after `delayMs`, unless it is added sooner. An earlier pending add wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.#stopped || this.#timers.has(key) || this.#queued.has(key)) return;
    this.#timers.set(key, this.#clock.after(delayMs, () => {
      this.#timers.delete(key);
      this.add(key);
    }));
  }

  /** Keys queued or being processed (delayed keys are not counted). */
  get pending(): number {
    return this.#queued.size + this.#processing.size;
  }

  /** Consecutive failures of `key` so far (0 after a success). */
  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Resolves when nothing is queued or processing (delayed retries may still be waiting). */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops taking work; handlers already running finish. */
  shutdown(): void {
    this.#stopped = true;
    for (const cancel of this.#timers.values()) cancel();
    this.#timers.clear();
    this.#lists.urgent = new KeyList();
    this.#lists.normal = new KeyList();
    this.#queued.clear();
  }

  #pump(): void {
    while (this.#processing.size < this.#workers) {
      const key = this.#take('urgent') ?? this.#take('normal');
      if (key === undefined) return;
      this.#queued.delete(key);
      this.#processing.add(key);
      void this.#run(key);
    }
  }

  /** The next key of a list that is still queued in that list. */
  #take(list: 'urgent' | 'normal'): string | undefined {
    for (let key = this.#lists[list].shift(); key !== undefined; key = this.#lists[list].shift()) {
      if (this.#queued.get(key) === list) return key;
    }
    return undefined;
  }

  async #run(key: string): Promise<void> {
    try {
      await this.#handler(key);
      this.#failures.delete(key);
    } catch (err) {
      const failures = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, failures);
      const delay = backoffDelay(failures, this.#baseDelayMs, this.#maxDelayMs, this.#random);
      this.#onError?.(key, err, delay, failures);
      this.#processing.delete(key);
      // A change that arrived while failing is retried after the backoff too: the failure
      // (API down, throttled) is about the backend, not about the change.
      this.#dirty.delete(key);
      this.addAfter(key, delay);
      this.#afterRun();
      return;
    }
    this.#processing.delete(key);
    const dirty = this.#dirty.get(key);
    this.#dirty.delete(key);
    if (dirty !== undefined) this.add(key, dirty);
    this.#afterRun();
  }

  #afterRun(): void {
    this.#pump();
    if (this.pending === 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}

/** A FIFO of keys with O(1) shift (an array with a moving head, compacted now and then). */
class KeyList {
  #items: string[] = [];
  #head = 0;
  push(key: string): void {
    this.#items.push(key);
  }
  shift(): string | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const key = this.#items[this.#head++]!;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return key;
  }
}

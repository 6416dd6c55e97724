// Applying the latest of a stream of desired states (forwarding tables): never two
// reconciles at once, states overtaken while one runs are skipped, and a reconcile that
// reports a failure is retried after a delay with whatever state is latest by then.

export class LatestApply<T> {
  readonly #reconcile: (desired: T) => Promise<boolean>;
  readonly #retryMs: number;
  #desired: { value: T } | null = null;
  #running: Promise<void> | null = null;
  #succeeded = false;
  #retry: NodeJS.Timeout | undefined;

  /** `reconcile` resolves true when the state is fully in place, false to be retried. */
  constructor(reconcile: (desired: T) => Promise<boolean>, retryMs: number) {
    this.#reconcile = reconcile;
    this.#retryMs = retryMs;
  }

  /** A state was given, the latest is in place, and nothing is running or waiting for a retry. */
  get settled(): boolean {
    return this.#desired !== null && this.#running === null && this.#succeeded;
  }

  /** Makes `desired` the state to reach; settles once it (or a later one) has been reconciled. */
  apply(desired: T): Promise<void> {
    clearTimeout(this.#retry);
    this.#desired = { value: desired };
    this.#running ??= this.#drain().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** Cancels a pending retry. */
  stop(): void {
    clearTimeout(this.#retry);
  }

  async #drain(): Promise<void> {
    for (let done: { value: T } | null = null; done !== this.#desired; ) {
      done = this.#desired!;
      this.#succeeded = false;
      this.#succeeded = await this.#reconcile(done.value);
    }
    if (!this.#succeeded) {
      const latest = this.#desired!.value;
      this.#retry = setTimeout(() => void this.apply(latest).catch(() => {}), this.#retryMs).unref();
    }
  }
}

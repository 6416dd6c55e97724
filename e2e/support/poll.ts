// Waiting for a condition in e2e tests. In a test body, where the assertion is the point,
// use vitest's expect.poll. waitFor and pollUntil are for what comes before the assertion and
// for hooks (beforeAll cannot use expect.poll): the check runs until it gives a value (not
// undefined) or the time is up; a check that throws counts as not yet, and a timeout names
// what was awaited, the last error and optional context (the logs of the processes under test).

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Added to a timeout's message. */
  context?: () => string;
}

/** Resolves with the first value `check` gives that is not undefined. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, o: WaitOptions = {}): Promise<T> {
  const deadline = performance.now() + (o.timeoutMs ?? 15_000);
  let last = '';
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (performance.now() > deadline) {
      throw new Error([`timed out waiting for ${what}`, last && `last error: ${last}`, o.context?.()].filter(Boolean).join('\n'));
    }
    await new Promise((resolve) => setTimeout(resolve, o.intervalMs ?? 200));
  }
}

/** Resolves with the first value of `get` that `accept` takes. */
export function pollUntil<T>(what: string, get: () => Promise<T> | T, accept: (value: T) => boolean, o: WaitOptions = {}): Promise<T> {
  return waitFor(what, async () => {
    const value = await get();
    return accept(value) ? value : undefined;
  }, o);
}

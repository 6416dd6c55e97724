// Waiting for a condition in e2e tests, on vitest's expect.poll: the check runs until it gives
// a value (not undefined) or the time is up; a check that throws counts as not yet, and a
// failure names what was awaited and the last error. Where the assertion itself is the point,
// call expect.poll directly.
import { expect } from 'vitest';

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Added to a timeout's message (the logs of the processes under test). */
  context?: () => string;
}

const DONE = 'done';

/** Resolves with the first value `check` gives that is not undefined. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, o: WaitOptions = {}): Promise<T> {
  let value: T | undefined;
  try {
    await expect
      .poll(async () => {
        try {
          value = await check();
          return value === undefined ? 'not yet' : DONE;
        } catch (err) {
          return `not yet: ${err instanceof Error ? err.message : String(err)}`;
        }
      }, { timeout: o.timeoutMs ?? 15_000, interval: o.intervalMs ?? 200, message: `waiting for ${what}` })
      .toBe(DONE);
  } catch (err) {
    if (o.context && err instanceof Error) err.message += `\n${o.context()}`;
    throw err;
  }
  return value!;
}

/** Resolves with the first value of `get` that `accept` takes. */
export function pollUntil<T>(what: string, get: () => Promise<T> | T, accept: (value: T) => boolean, o: WaitOptions = {}): Promise<T> {
  return waitFor(what, async () => {
    const value = await get();
    return accept(value) ? value : undefined;
  }, o);
}

// The bounded budget of the property tests: PROPERTY_RUNS runs per property (CI uses the
// default), each input checked to be decided fast (a catastrophic backtracking regex or an
// unbounded loop on hostile input fails here, not in production), and to fail only typed.
import fc from 'fast-check';
import { expect } from 'vitest';

export const RUNS = Number(process.env.PROPERTY_RUNS ?? 300);

/** Generous: the functions here decide inputs of a few KiB in microseconds. */
const DECIDED_WITHIN_MS = 500;

/** fast-check's assert with the budget; a failure prints the shrunk counterexample and its seed. */
export function check<Ts extends [unknown, ...unknown[]]>(property: fc.IProperty<Ts>): void {
  fc.assert(property, { numRuns: RUNS });
}

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Runs `fn` on hostile input: it returns, or throws one of the `refusals` (the function's
 * typed refusal). A TypeError, RangeError or any other class is a bug the input found.
 */
export function decided<T>(fn: () => T, ...refusals: ErrorClass[]): { value: T } | { refused: Error } {
  const started = performance.now();
  try {
    return { value: fn() };
  } catch (err) {
    if (!refusals.some((c) => err instanceof c) || err instanceof TypeError || err instanceof RangeError) throw err;
    expect((err as Error).message).not.toBe('');
    return { refused: err as Error };
  } finally {
    expect(performance.now() - started).toBeLessThan(DECIDED_WITHIN_MS);
  }
}

/** Strings an attacker would try: arbitrary unicode, and text built from the format's own punctuation. */
export function hostileString(alphabet: string, maxLength = 200): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ maxLength, unit: 'binary' }),
    fc.string({ maxLength, unit: fc.constantFrom(...alphabet) }),
  );
}

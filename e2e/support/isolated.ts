// Whether this machine can run the isolated runtime (root, iproute2, nftables, util-linux …),
// as the global setup found; tests that need it are skipped by name when it cannot, never silently.
import { describe, inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    isolatedRuntime: { ok: boolean; problems: string[] };
  }
}

export const isolatedRuntime = inject('isolatedRuntime');

/** What a skipped test's name says: why it did not run. */
export const SKIPPED_WITHOUT_ISOLATION = `[skipped: needs the isolated runtime: ${isolatedRuntime.problems.join('; ')}]`;

/** describe() for tests that need the isolated runtime; without it they are skipped, the reason in their name. */
export function describeIsolated(name: string, fn: () => void): void {
  if (isolatedRuntime.ok) describe(name, fn);
  else describe.skip(`${name} ${SKIPPED_WITHOUT_ISOLATION}`, fn);
}

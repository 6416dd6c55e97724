import { describe, expect, it } from 'vitest';
import { defaultBackoff, restartDelayMs } from '../../../src/mock-cci/runtime/backoff.ts';

describe('CrashLoopBackOff schedule', () => {
  it('is immediate, then 10s doubling to 5m', () => {
    const p = defaultBackoff();
    expect([0, 1, 2, 3, 4, 5, 6, 7, 20].map((n) => restartDelayMs(p, n) / 1000)).toEqual([0, 10, 20, 40, 80, 160, 300, 300, 300]);
    expect(p.resetAfterMs).toBe(600_000);
  });
  it('scales with a test base', () => {
    const p = defaultBackoff(100);
    expect([1, 2, 3, 10].map((n) => restartDelayMs(p, n))).toEqual([100, 200, 400, 3000]);
  });
});

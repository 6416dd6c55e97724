import { describe, expect, it } from 'vitest';
import { FaultInjector, mulberry32 } from '../../src/mock-cci/faults.ts';

const opts = (seed: number, errorRate: number) => ({ latencyMs: 0, errorRate, dropWatchAfterMs: 0, seed });

describe('fault injection', () => {
  it('is deterministic for a seed', () => {
    const run = (seed: number): string[] => {
      const f = new FaultInjector(opts(seed, 0.2));
      return Array.from({ length: 200 }, (_, i) => JSON.stringify(f.decide(i % 3 === 0)));
    };
    expect(run(42)).toEqual(run(42));
    expect(run(42)).not.toEqual(run(43));
  });
  it('hits about the configured rate with every kind of fault', () => {
    const f = new FaultInjector(opts(7, 0.2));
    const decisions = Array.from({ length: 5000 }, () => f.decide(true));
    const hits = decisions.filter((d) => d.kind !== 'none');
    expect(hits.length / decisions.length).toBeGreaterThan(0.17);
    expect(hits.length / decisions.length).toBeLessThan(0.23);
    const kinds = new Set(hits.map((d) => `${d.kind}${d.code}`));
    expect(kinds).toEqual(new Set(['before503', 'before429', 'after500']));
  });
  it('never fails a read after the fact, and is off at rate 0', () => {
    const f = new FaultInjector(opts(7, 0.5));
    expect(Array.from({ length: 500 }, () => f.decide(false)).some((d) => d.kind === 'after')).toBe(false);
    const off = new FaultInjector(opts(7, 0));
    expect(Array.from({ length: 100 }, () => off.decide(true)).every((d) => d.kind === 'none')).toBe(true);
    expect(off.enabled).toBe(false);
  });
  it('mulberry32 stays in [0,1)', () => {
    const r = mulberry32(1);
    for (let i = 0; i < 1000; i++) {
      const x = r();
      expect(x >= 0 && x < 1).toBe(true);
    }
  });
});

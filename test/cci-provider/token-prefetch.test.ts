import { describe, expect, it } from 'vitest';
import { TokenPrefetcher } from '../../src/cci-provider/token-prefetch.ts';

/** A fetch whose requests the test answers; counts them per pod. */
function fetcher(): { fetch: (pod: string) => Promise<string | undefined>; calls: string[]; answer: (i: number, token?: string | Error) => void; open: number } {
  const calls: string[] = [];
  const answers: ((t: string | Error | undefined) => void)[] = [];
  const f = {
    calls,
    open: 0,
    fetch: (pod: string) => {
      calls.push(pod);
      f.open++;
      return new Promise<string | undefined>((resolve, reject) => answers.push((t) => {
        f.open--;
        if (t instanceof Error) reject(t);
        else resolve(t);
      }));
    },
    answer: (i: number, token?: string | Error) => answers[i]!(token ?? `token-${calls[i]}`),
  };
  return f;
}
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('TokenPrefetcher', () => {
  it('requests a pod\'s token once, ahead, and the creation takes that one', async () => {
    const f = fetcher();
    const p = new TokenPrefetcher(f.fetch, { concurrency: 4, maxAgeMs: 60_000, maxEntries: 100 });
    p.prefetch('u1', 'pod-1');
    p.prefetch('u1', 'pod-1');
    await tick();
    expect(f.calls).toEqual(['pod-1']);
    f.answer(0);
    expect(await p.take('u1', 'pod-1')).toBe('token-pod-1');
    expect(p.size).toBe(0);
    // Used up: a second creation (a retry) asks again.
    const again = p.take('u1', 'pod-1');
    f.answer(1, 'fresh');
    expect(await again).toBe('fresh');
  });

  it('keeps at most `concurrency` prefetches in flight, the rest in order after', async () => {
    const f = fetcher();
    const p = new TokenPrefetcher(f.fetch, { concurrency: 2, maxAgeMs: 60_000, maxEntries: 100 });
    for (const i of [1, 2, 3, 4]) p.prefetch(`u${i}`, `pod-${i}`);
    await tick();
    expect(f.calls).toEqual(['pod-1', 'pod-2']);
    f.answer(0);
    await tick();
    await tick();
    expect(f.calls).toEqual(['pod-1', 'pod-2', 'pod-3']);
    expect(f.open).toBe(2);
  });

  it('requests anew when the prefetch failed or is older than maxAgeMs, and holds no more than maxEntries', async () => {
    let now = 0;
    const f = fetcher();
    const p = new TokenPrefetcher(f.fetch, { concurrency: 4, maxAgeMs: 1_000, maxEntries: 2, now: () => now });
    p.prefetch('u1', 'pod-1');
    p.prefetch('u2', 'pod-2');
    p.prefetch('u3', 'pod-3'); // over maxEntries: not prefetched
    await tick();
    expect(f.calls).toEqual(['pod-1', 'pod-2']);
    f.answer(0, new Error('the API server is unavailable'));
    f.answer(1);
    const afterFailure = p.take('u1', 'pod-1');
    await tick();
    f.answer(2, 'second try');
    expect(await afterFailure).toBe('second try');
    now = 1_500;
    const stale = p.take('u2', 'pod-2');
    f.answer(3, 'new');
    expect(await stale).toBe('new');
  });
});

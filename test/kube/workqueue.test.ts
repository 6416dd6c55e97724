import { describe, expect, it } from 'vitest';
import { backoffDelay, WorkQueue } from '../../src/kube/workqueue.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('backoffDelay', () => {
  it.each([
    [1, 100],
    [2, 200],
    [3, 400],
    [10, 5000],
  ])('failure %i without jitter is %i ms', (failures, expected) => {
    expect(backoffDelay(failures, 100, 5000, () => 0.5)).toBe(expected);
  });
  it('jitters within ±20%', () => {
    expect(backoffDelay(1, 1000, 5000, () => 0)).toBe(800);
    expect(backoffDelay(1, 1000, 5000, () => 0.999999)).toBe(1200);
  });
});

describe('WorkQueue', () => {
  it('never runs one key twice at once, and re-runs a key added while it ran', async () => {
    let running = 0;
    let maxRunning = 0;
    const runs: string[] = [];
    const q = new WorkQueue(
      async (key) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        runs.push(key);
        await sleep(20);
        running--;
      },
      { workers: 4 },
    );
    q.add('a');
    await sleep(5);
    q.add('a'); // while processing: one more run afterwards
    q.add('a'); // coalesced with the previous add
    await q.idle();
    expect(runs).toEqual(['a', 'a']);
    expect(maxRunning).toBe(1);
  });

  it('coalesces duplicate adds of a queued key', async () => {
    const runs: string[] = [];
    const q = new WorkQueue(async (key) => void runs.push(key), { workers: 1 });
    q.add('a');
    q.add('b');
    q.add('b');
    q.add('c');
    await q.idle();
    expect(runs).toEqual(['a', 'b', 'c']);
  });

  it('takes urgent keys first, including a queued key promoted to urgent, once', async () => {
    const runs: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue(
      async (key) => {
        if (key === 'block') await gate;
        runs.push(key);
      },
      { workers: 1 },
    );
    q.add('block');
    q.add('n1');
    q.add('n2');
    q.add('u1', true);
    q.add('n2', true);
    q.add('u1');
    release();
    await q.idle();
    expect(runs).toEqual(['block', 'u1', 'n2', 'n1']);
  });

  it('a key added urgently while it runs is re-run before the normal backlog (regression)', async () => {
    const runs: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue(
      async (key) => {
        runs.push(key);
        if (key === 'busy' && runs.length === 1) await gate;
      },
      { workers: 1 },
    );
    q.add('busy');
    q.add('n1');
    q.add('n2');
    q.add('busy', true);
    release();
    await q.idle();
    expect(runs).toEqual(['busy', 'busy', 'n1', 'n2']);
  });

  it('processes distinct keys concurrently up to the worker count', async () => {
    let running = 0;
    let maxRunning = 0;
    const q = new WorkQueue(
      async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await sleep(10);
        running--;
      },
      { workers: 3 },
    );
    for (let i = 0; i < 10; i++) q.add(`k${i}`);
    await q.idle();
    expect(maxRunning).toBe(3);
  });

  it('retries a failing key with growing delays and resets after success', async () => {
    const times: number[] = [];
    const delays: number[] = [];
    const q = new WorkQueue(
      async () => {
        times.push(Date.now());
        if (times.length < 4) throw new Error('transient');
      },
      { workers: 1, baseDelayMs: 10, random: () => 0.5, onError: (_k, _e, d) => delays.push(d) },
    );
    q.add('x');
    while (times.length < 4) await sleep(5);
    expect(delays).toEqual([10, 20, 40]);
    expect(times[3]! - times[2]!).toBeGreaterThanOrEqual(35);
    await q.idle();
    expect(q.failures('x')).toBe(0);
  });

  it('an add() during a pending retry runs the key now', async () => {
    let calls = 0;
    const q = new WorkQueue(
      async () => {
        calls++;
        if (calls === 1) throw new Error('fail once');
      },
      { workers: 1, baseDelayMs: 60_000 },
    );
    q.add('x');
    await sleep(10);
    expect(calls).toBe(1);
    q.add('x');
    await q.idle();
    expect(calls).toBe(2);
    q.shutdown();
  });

  it('addAfter delays, and shutdown drops queued and delayed keys', async () => {
    const runs: string[] = [];
    const q = new WorkQueue(async (key) => void runs.push(key), { workers: 1 });
    q.addAfter('late', 30);
    await sleep(5);
    expect(runs).toEqual([]);
    await sleep(50);
    expect(runs).toEqual(['late']);
    q.addAfter('never', 10);
    q.shutdown();
    q.add('never-either');
    await sleep(30);
    expect(runs).toEqual(['late']);
  });
});

import { describe, expect, it } from 'vitest';
import type { PodStatus } from '../../../src/kube/wire.ts';
import { StatusWriter, type DesiredStatus } from '../../../src/provider/pods/status-writer.ts';
import { FakeClock, settle } from '../../support/fake-clock.ts';

const desired = (phase: PodStatus['phase'], uid = 'u1'): DesiredStatus => ({ uid, status: { phase }, annotations: {} });

/** A write that blocks until released, recording what was written. */
function gatedWrites() {
  const written: [string, string | undefined][] = [];
  const gates: (() => void)[] = [];
  const write = async (key: string, d: DesiredStatus): Promise<void> => {
    written.push([key, d.status.phase]);
    await new Promise<void>((r) => gates.push(r));
  };
  const releaseAll = (): void => {
    for (const g of gates.splice(0)) g();
  };
  return { written, write, releaseAll };
}

describe('StatusWriter', () => {
  it('writes only the newest status decided before its write was taken', async () => {
    const { written, write, releaseAll } = gatedWrites();
    const w = new StatusWriter(write, { workers: 1 });
    w.set('ns/busy', desired('Pending'));
    w.set('ns/a', desired('Pending'));
    w.set('ns/a', desired('Running'));
    expect(w.pending('ns/a')?.status.phase).toBe('Running');
    const idle = w.idle();
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setImmediate(r));
      releaseAll();
    }
    await idle;
    expect(written).toEqual([['ns/busy', 'Pending'], ['ns/a', 'Running']]);
    expect(w.pending('ns/a')).toBeUndefined();
  });

  it('writes a status set during a write of the same pod afterwards, never two at once', async () => {
    const { written, write, releaseAll } = gatedWrites();
    const w = new StatusWriter(write, { workers: 4 });
    w.set('ns/a', desired('Pending'));
    await new Promise((r) => setImmediate(r));
    w.set('ns/a', desired('Running'));
    await new Promise((r) => setImmediate(r));
    expect(written).toEqual([['ns/a', 'Pending']]);
    expect(w.pending('ns/a')?.status.phase).toBe('Running');
    releaseAll();
    await new Promise((r) => setImmediate(r));
    releaseAll();
    await w.idle();
    expect(written).toEqual([['ns/a', 'Pending'], ['ns/a', 'Running']]);
  });

  it('retries a failed write with the newest status', async () => {
    const written: string[] = [];
    let fail = true;
    const w = new StatusWriter(async (_key, d) => {
      written.push(String(d.status.phase));
      if (fail) throw new Error('API down');
    }, { workers: 1 });
    w.set('ns/a', desired('Pending'));
    await w.idle();
    expect(w.pending('ns/a')?.status.phase).toBe('Pending');
    fail = false;
    w.set('ns/a', desired('Running'));
    await w.idle();
    expect(written).toEqual(['Pending', 'Running']);
  });

  it('drops the status of a pod forgotten before its write was taken', async () => {
    const { written, write, releaseAll } = gatedWrites();
    const w = new StatusWriter(write, { workers: 1 });
    w.set('ns/busy', desired('Pending'));
    w.set('ns/gone', desired('Pending'));
    w.forget('ns/gone');
    releaseAll();
    await w.idle();
    expect(written).toEqual([['ns/busy', 'Pending']]);
  });

  it('tells each write how long its oldest unwritten status waited: from the first decision, a status set during a write waiting anew', async () => {
    const clock = new FakeClock();
    const waits: [string, string | undefined, number][] = [];
    const gates: (() => void)[] = [];
    const w = new StatusWriter(async (key, d, waitedMs) => {
      waits.push([key, d.status.phase, waitedMs]);
      await new Promise<void>((r) => gates.push(r));
    }, { workers: 1, clock });
    w.set('ns/busy', desired('Pending'));
    await settle();
    await clock.advance(100);
    w.set('ns/a', desired('Pending'));
    await clock.advance(300);
    w.set('ns/a', desired('Running')); // replaces the unwritten Pending: the wait counts from Pending's decision
    await clock.advance(50);
    gates.shift()!();
    await settle();
    expect(waits).toEqual([['ns/busy', 'Pending', 0], ['ns/a', 'Running', 350]]);
    await clock.advance(40);
    w.set('ns/a', desired('Succeeded')); // during ns/a's write
    await clock.advance(60);
    gates.shift()!();
    await settle();
    expect(waits[2]).toEqual(['ns/a', 'Succeeded', 60]);
    gates.shift()!();
    await w.idle();
  });

  it('keeps a failed write\'s wait: the retry reports it from the first decision', async () => {
    const clock = new FakeClock();
    const waits: number[] = [];
    let fail = true;
    const w = new StatusWriter(async (_key, _d, waitedMs) => {
      waits.push(waitedMs);
      if (fail) throw new Error('API down');
    }, { workers: 1, clock });
    await clock.advance(10);
    w.set('ns/a', desired('Running'));
    await clock.advance(20);
    await settle();
    fail = false;
    await clock.advance(1_000); // past the retry's backoff (250 ms ± 20%)
    await w.idle();
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBe(0);
    // The retry ran ≥ 200 ms after the decision, and says so (not 0, as if it waited afresh).
    expect(waits[1]).toBeGreaterThanOrEqual(200);
  });
});

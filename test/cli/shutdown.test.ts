import { describe, expect, it } from 'vitest';
import { stopWithin } from '../../src/cli/shutdown.ts';

describe('stopWithin', () => {
  it('reports a stop that completes, one that fails, and one that never ends by the deadline', async () => {
    expect(await stopWithin(async () => undefined, 1_000)).toEqual({ kind: 'stopped' });
    expect(await stopWithin(async () => { throw new Error('boom'); }, 1_000)).toMatchObject({ kind: 'failed', error: { message: 'boom' } });
    expect(await stopWithin(() => new Promise(() => undefined), 50)).toEqual({ kind: 'late' });
  });
});

// burstlet node's --heap-growing-percent (README: Memory): a default that bounds a burst's
// garbage, 0 for V8's own heuristics, and the flag's accepted form on a bad value.
import { describe, expect, it } from 'vitest';
import node from '../../src/cli/node.ts';
import { parseFlags, UsageError } from '../../src/flags/flags.ts';

const parse = (...args: string[]): number => parseFlags(node, ['--nodename=n', ...args])['heap-growing-percent'];

describe('burstlet node --heap-growing-percent', () => {
  it('is 30 by default and takes 0 (V8 decides) up to 1000', () => {
    expect(parse()).toBe(30);
    expect(parse('--heap-growing-percent=0')).toBe(0);
    expect(parse('--heap-growing-percent=1000')).toBe(1000);
  });

  it.each(['-1', '1001', '30%', 'lots'])('refuses %s, naming the flag and its accepted form', (value) => {
    expect(() => parse(`--heap-growing-percent=${value}`)).toThrow(UsageError);
    expect(() => parse(`--heap-growing-percent=${value}`)).toThrow(/--heap-growing-percent.*an integer 0-1000/);
  });
});

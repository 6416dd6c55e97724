import { describe, expect, it } from 'vitest';
import { expand, resolveEnv } from '../../src/cci/runtime/expand.ts';

const vars = new Map([['FOO', 'foo'], ['EMPTY', '']]);

describe('expand', () => {
  it.each([
    ['$(FOO)', 'foo'],
    ['a-$(FOO)-b', 'a-foo-b'],
    ['$(UNDEFINED)', '$(UNDEFINED)'],
    ['$$(FOO)', '$(FOO)'],
    ['$$$(FOO)', '$foo'],
    ['$(EMPTY)x', 'x'],
    ['$FOO', '$FOO'],
    ['$(FOO', '$(FOO'],
    ['$(FOO $$', '$(FOO $'],
    ['trailing $', 'trailing $'],
    ['$()', '$()'],
    ['no refs', 'no refs'],
  ])('%s → %s', (input, out) => expect(expand(input, vars)).toBe(out));
});

describe('resolveEnv', () => {
  it('lets later variables refer to earlier ones only', () => {
    const env = resolveEnv([
      { name: 'A', value: 'a' },
      { name: 'B', value: '$(A)-$(C)' },
      { name: 'C', value: 'c' },
      { name: 'A', value: '$(A)$(A)' },
    ]);
    expect(Object.fromEntries(env)).toEqual({ A: 'aa', B: 'a-$(C)', C: 'c' });
  });
});

import { describe, expect, it } from 'vitest';
import { expand, resolveEnv } from '../../../src/mock-cci/runtime/expand.ts';

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
    ], { podIP: '198.18.0.5', hostIP: '198.18.0.1' });
    expect(Object.fromEntries(env)).toEqual({ A: 'aa', B: 'a-$(C)', C: 'c' });
  });

  it('fills downward-API IP fields from the running pod, and later entries can refer to them', () => {
    const env = resolveEnv([
      { name: 'POD_IP', value: '', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'HOST_IP', value: '', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
      { name: 'URL', value: 'http://$(POD_IP):80' },
    ], { podIP: '198.18.0.5', hostIP: '198.18.0.1' });
    expect(Object.fromEntries(env)).toEqual({ POD_IP: '198.18.0.5', HOST_IP: '198.18.0.1', URL: 'http://198.18.0.5:80' });
  });
});

import { describe, expect, it } from 'vitest';
import { canonical, sameJson } from '../../src/kube/canonical.ts';

// sameJson must agree with comparing canonical forms, which statusPatch used before.
const cases: [string, unknown, unknown][] = [
  ['equal primitives', 'a', 'a'],
  ['different primitives', 1, 2],
  ['number vs string', 1, '1'],
  ['undefined vs null', undefined, null],
  ['undefined vs empty object', undefined, {}],
  ['null vs empty list', null, []],
  ['key order', { a: 1, b: { c: 2, d: [1, 2] } }, { b: { d: [1, 2], c: 2 }, a: 1 }],
  ['null-valued key vs missing key', { a: 1, b: null }, { a: 1 }],
  ['undefined-valued key vs missing key', { a: 1 }, { a: 1, b: undefined }],
  ['extra key', { a: 1 }, { a: 1, b: 2 }],
  ['extra key in the first', { a: 1, b: 2 }, { a: 1 }],
  ['list order', [1, 2], [2, 1]],
  ['list length', [1], [1, 1]],
  ['null vs undefined in a list', [null], [undefined]],
  ['list vs object', [], {}],
  ['nested difference', [{ a: { b: 1 } }], [{ a: { b: 2 } }]],
  ['object vs primitive', { a: 1 }, 'x'],
];

describe('sameJson', () => {
  it.each(cases)('%s: agrees with canonical()', (_name, a, b) => {
    expect(sameJson(a, b)).toBe(canonical(a) === canonical(b));
    expect(sameJson(b, a)).toBe(canonical(a) === canonical(b));
  });
});

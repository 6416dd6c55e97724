// Properties of the selectors and patches the embedded API server and the mock CCI parse from
// requests: any input is decided fast and refused only with the error the server turns into a
// 400/422; what is accepted behaves as the format says.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatSelector, matchesLabels, parseFieldSelector, parseLabelSelector, selectorRequirements } from '../../src/local/apiserver/selectors.ts';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, deepEqual, PatchApplyError } from '../../src/local/apiserver/patch.ts';
import { matchesSelector, parseSelector } from '../../src/mock-cci/selector.ts';
import { check, decided, hostileString } from './budget.ts';

const SELECTOR_ALPHABET = 'ab1.-_/=!,() <>innotex';
const labelKey = fc.stringMatching(/^[a-z]([-a-z0-9]{0,8}[a-z0-9])?$/);
const labelValue = fc.stringMatching(/^([a-z0-9]([-a-z0-9]{0,8}[a-z0-9])?)?$/);
const labels = fc.dictionary(labelKey, labelValue, { maxKeys: 5 });

describe('label selectors', () => {
  it('any string is a selector or refused, decided fast', () => {
    check(fc.property(hostileString(SELECTOR_ALPHABET), (s) => {
      decided(() => parseLabelSelector(s), Error);
      decided(() => parseFieldSelector(s), Error);
      decided(() => parseSelector(s), Error);
    }));
  });

  it('matchLabels formatted and parsed back select exactly the supersets', () => {
    check(fc.property(labels, labels, (selector, object) => {
      const reqs = parseLabelSelector(formatSelector({ matchLabels: selector }));
      const expected = Object.entries(selector).every(([k, v]) => object[k] === v);
      expect(matchesLabels(reqs, object)).toBe(expected);
      expect(matchesLabels(selectorRequirements({ matchLabels: selector }), object)).toBe(expected);
      const cci = parseSelector(Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(','));
      expect(matchesSelector(cci, object)).toBe(expected);
    }));
  });
});

// JSON values of bounded depth and size.
const json = fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<unknown>;
const object = fc.dictionary(fc.string({ maxLength: 6 }), json, { maxKeys: 6 });
const pointer = fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.nat(5).map(String), fc.constant('-')), { maxLength: 4 }).map((parts) => parts.map((p) => `/${p}`).join(''));
const op = fc.record({
  op: fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test', 'bogus'),
  path: fc.oneof(pointer, fc.string({ maxLength: 8 })),
  from: pointer,
  value: json,
}, { requiredKeys: ['op', 'path'] });

describe('patches', () => {
  it('any JSON patch applies or is refused with PatchApplyError, leaving the original untouched', () => {
    check(fc.property(object, fc.oneof(fc.array(op, { maxLength: 6 }), json), (original, ops) => {
      const before = structuredClone(original);
      decided(() => applyJsonPatch(original, ops), PatchApplyError);
      expect(original).toEqual(before);
    }));
  });

  it('a merge patch applies (RFC 7386 refuses nothing) and applying it twice changes nothing more', () => {
    check(fc.property(object, json, (original, patch) => {
      const once = decided(() => applyMergePatch(original, patch), PatchApplyError);
      if (!('value' in once)) return;
      expect(deepEqual(applyMergePatch(once.value, patch), once.value)).toBe(true);
    }));
  });

  it('any strategic merge patch of a pod applies or is refused typed', () => {
    const pod = fc.record({ metadata: fc.record({ name: fc.constant('p'), labels }), spec: fc.record({ containers: fc.array(fc.record({ name: labelKey, image: fc.constant('busybox') }), { maxLength: 3 }) }) });
    const patch = fc.oneof(object, fc.record({ spec: fc.record({ containers: fc.array(fc.oneof(json, fc.record({ name: labelKey, image: fc.string({ maxLength: 5 }), $patch: fc.constantFrom('delete', 'replace', 'merge', 'x') }, { requiredKeys: ['name'] })), { maxLength: 3 }), '$setElementOrder/containers': fc.array(json, { maxLength: 2 }) }, { requiredKeys: [] }) }), json);
    check(fc.property(pod, patch, (original, p) => {
      decided(() => applyStrategicMergePatch(original, p, 'Pod'), PatchApplyError);
    }));
  });
});

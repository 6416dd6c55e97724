import { describe, expect, it } from 'vitest';
import { compileFieldSelector, matchesLabels, parseFieldSelector, parseLabelSelector } from '../../../src/local/apiserver/selectors.ts';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front', version: '3' };
  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app=db', false],
    ['app!=db', true],
    ['app!=web', false],
    ['missing!=x', true],
    ['app in (web,db)', true],
    ['app in (db)', false],
    ['app notin (db, cache)', true],
    ['app notin (web)', false],
    ['missing notin (web)', true],
    ['tier', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['version>2', true],
    ['version<3', false],
    ['app=web,tier in (front,back),!legacy', true],
    ['app=web,tier=back', false],
  ])('%j → %s', (selector, expected) => {
    expect(matchesLabels(parseLabelSelector(selector), labels)).toBe(expected);
  });

  it('treats objects without labels as having none', () => {
    expect(matchesLabels(parseLabelSelector('!app'), undefined)).toBe(true);
    expect(matchesLabels(parseLabelSelector('app'), undefined)).toBe(false);
  });

  it.each(['app=we b', 'a b c', 'in (x)', '-bad=x'])('rejects %j', (selector) => {
    expect(() => parseLabelSelector(selector)).toThrow(/unable to parse requirement/);
  });
});

describe('field selectors', () => {
  const pod = { metadata: { name: 'p1', namespace: 'ns1' }, spec: { nodeName: 'n1' }, status: { phase: 'Running' } };
  it.each([
    ['metadata.name=p1', true],
    ['metadata.name==p1', true],
    ['metadata.name!=p1', false],
    ['metadata.namespace=ns1,spec.nodeName=n1', true],
    ['spec.nodeName=', false],
    ['status.phase!=Failed', true],
    ['status.phase=Running,spec.nodeName!=n1', false],
  ])('pods %j → %s', (selector, expected) => {
    expect(compileFieldSelector('pods', parseFieldSelector(selector))(pod)).toBe(expected);
  });

  it('matches unbound pods with spec.nodeName=', () => {
    expect(compileFieldSelector('pods', parseFieldSelector('spec.nodeName='))({ metadata: {}, spec: {} })).toBe(true);
  });

  it('serves the involvedObject fields kubectl describe uses on events', () => {
    const ev = { metadata: { name: 'e' }, involvedObject: { kind: 'Pod', name: 'p1', namespace: 'ns1', uid: 'u1' } };
    const sel = 'involvedObject.name=p1,involvedObject.namespace=ns1,involvedObject.uid=u1,involvedObject.kind=Pod';
    expect(compileFieldSelector('events', parseFieldSelector(sel))(ev)).toBe(true);
    expect(compileFieldSelector('events', parseFieldSelector('involvedObject.uid=other'))(ev)).toBe(false);
  });

  it('unescapes values', () => {
    expect(parseFieldSelector('metadata.name=a\\,b')).toEqual([{ field: 'metadata.name', value: 'a,b', negate: false }]);
  });

  it('rejects fields the resource does not index, naming the supported ones', () => {
    expect(() => compileFieldSelector('configmaps', parseFieldSelector('spec.nodeName=x'))).toThrow(/field label not supported: spec.nodeName.*metadata.name/);
    expect(() => parseFieldSelector('novalue')).toThrow(/invalid selector/);
  });
});

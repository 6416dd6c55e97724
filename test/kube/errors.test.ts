import { describe, expect, it } from 'vitest';
import { CciError } from '../../src/cci/client.ts';
import { KubeError } from '../../src/kube/client.ts';
import { errorReason, isAlreadyExists, isBadRequest, isConflict, isGone, isNotFound, isTransient } from '../../src/kube/errors.ts';
import { errorMessage } from '../../src/log/error-message.ts';

const predicates = { isNotFound, isBadRequest, isGone, isConflict, isAlreadyExists, isTransient };
type Name = keyof typeof predicates;

describe('API error predicates', () => {
  it.each<[string, Error, Name[]]>([
    ['404 NotFound', new KubeError(404, 'NotFound', 'pods "x" not found'), ['isNotFound']],
    ['CCI 404', new CciError(404, 'NotFound', 'pods "x" not found'), ['isNotFound']],
    ['400', new CciError(400, 'BadRequest', 'container main is not running'), ['isBadRequest']],
    ['410 Expired (watch)', new KubeError(410, 'Expired', 'too old resource version'), ['isGone']],
    ['CCI 410 Gone', new CciError(410, 'Gone', 'too old'), ['isGone']],
    ['409 Conflict', new KubeError(409, 'Conflict', 'the object has been modified'), ['isConflict']],
    ['409 AlreadyExists', new KubeError(409, 'AlreadyExists', 'pods "x" already exists'), ['isAlreadyExists']],
    // A 409 whose reason says something else is neither (the mock's create without free IPs).
    ['409 InsufficientIPs', new CciError(409, 'InsufficientIPs', 'no free IP'), []],
    // Without a reason the status decides, as client-go does.
    ['409 without a reason', new KubeError(409, 'Unknown', 'conflict'), ['isConflict', 'isAlreadyExists']],
    ['429', new KubeError(429, 'TooManyRequests', 'slow down'), ['isTransient']],
    ['503', new CciError(503, 'ServiceUnavailable', 'down'), ['isTransient']],
    ['no response', new KubeError(0, 'ConnectionError', 'ECONNREFUSED'), ['isTransient']],
    ['401', new CciError(401, 'Unauthorized', 'bad token'), []],
    ['a plain Error', new Error('boom'), []],
  ])('%s', (_name, err, expected) => {
    const holds = (Object.keys(predicates) as Name[]).filter((p) => predicates[p](err));
    expect(holds).toEqual(expected);
  });

  it('does not take a status field on something that is not an Error', () => {
    expect(isNotFound({ status: 404, reason: 'NotFound' })).toBe(false);
    expect(isNotFound(undefined)).toBe(false);
  });

  it('names the reason for metrics', () => {
    expect(errorReason(new CciError(503, 'ServiceUnavailable', 'down'))).toBe('ServiceUnavailable');
    expect(errorReason(new TypeError('x'))).toBe('TypeError');
    expect(errorReason('thrown string')).toBe('Error');
  });
});

describe('errorMessage', () => {
  it.each<[unknown, string]>([
    [new Error('boom'), 'boom'],
    ['a string', 'a string'],
    [{ code: 7 }, '{"code":7}'],
    [undefined, 'undefined'],
  ])('%o -> %s', (err, message) => {
    expect(errorMessage(err)).toBe(message);
  });
});

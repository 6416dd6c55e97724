import { describe, expect, it } from 'vitest';
import { CciError } from '../../src/cci/client.ts';
import { cciCreateRefusal } from '../../src/cci/refusal.ts';

describe('cciCreateRefusal: is CCI\'s answer to a pod creation final?', () => {
  it.each([
    [400, 'BadRequest', true],
    [403, 'Forbidden', true], // a forbidden flavor or image: the same pod is refused again
    [404, 'NotFound', true],
    [413, 'RequestEntityTooLarge', true],
    [422, 'Invalid', true],
    [401, 'Unauthorized', false], // the node's token: fixed by the operator, not by the pod
    [408, 'Timeout', false],
    [409, 'Conflict', false],
    [429, 'TooManyRequests', false],
    [500, 'InternalError', false],
    [503, 'ServiceUnavailable', false],
    [0, 'Unreachable', false], // no answer at all
  ])('%i %s → final: %s', (status, reason, final) => {
    const refusal = cciCreateRefusal(new CciError(status, reason, 'what CCI said'));
    expect(refusal !== undefined).toBe(final);
    if (refusal) expect(refusal).toEqual({ reason: 'ProviderRefused', message: `CCI refused the pod (${status} ${reason}): what CCI said` });
  });

  it('retries a full quota: failing the pod had its ReplicaSet create another for CCI to refuse, without end (seen on real Kubernetes)', () => {
    const full = new CciError(403, 'Forbidden', 'pods "p" is forbidden: exceeded quota: cci-quota, requested: cpu=500m, used: cpu=4, limited: cpu=4');
    expect(cciCreateRefusal(full)).toBeUndefined();
  });

  it('retries what is not an API answer', () => {
    expect(cciCreateRefusal(new Error('socket hang up'))).toBeUndefined();
    expect(cciCreateRefusal('weird')).toBeUndefined();
  });
});

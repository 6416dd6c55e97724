import { describe, expect, it } from 'vitest';
import { podDeletionGrace, readyToRemove } from '../../../src/local/apiserver/pods.ts';

const pod = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}, meta: Record<string, unknown> = {}) => ({ metadata: { name: 'p', ...meta }, spec, ...extra });

describe('pod deletion grace', () => {
  it.each([
    ['bound, default', pod({ nodeName: 'n' }), {}, true, 30],
    ['bound, pod grace', pod({ nodeName: 'n', terminationGracePeriodSeconds: 5 }), {}, true, 5],
    ['bound, request grace wins', pod({ nodeName: 'n', terminationGracePeriodSeconds: 5 }), { gracePeriodSeconds: 12 }, true, 12],
    ['bound, grace 0 requested', pod({ nodeName: 'n' }), { gracePeriodSeconds: 0 }, true, 0],
    ['unbound', pod({}), {}, true, 0],
    ['node gone', pod({ nodeName: 'n' }), {}, false, 0],
    ['finished pod', pod({ nodeName: 'n' }, { status: { phase: 'Succeeded' } }), {}, true, 0],
    ['second delete may only shorten', pod({ nodeName: 'n' }, {}, { deletionTimestamp: 'x', deletionGracePeriodSeconds: 10 }), { gracePeriodSeconds: 20 }, true, 10],
  ])('%s → %i', (_n, p, opts, nodeExists, grace) => {
    expect(podDeletionGrace(p, opts, nodeExists)).toBe(grace);
  });

  it.each([
    ['not deleting', {}, false, false],
    ['deleting, no finalizers, not a pod', { deletionTimestamp: 't', deletionGracePeriodSeconds: 30 }, false, true],
    ['deleting pod in grace', { deletionTimestamp: 't', deletionGracePeriodSeconds: 30 }, true, false],
    ['deleting pod confirmed', { deletionTimestamp: 't', deletionGracePeriodSeconds: 0 }, true, true],
    ['finalizers pending', { deletionTimestamp: 't', deletionGracePeriodSeconds: 0, finalizers: ['f'] }, true, false],
  ])('readyToRemove: %s', (_n, meta, isPod, expected) => {
    expect(readyToRemove({ metadata: meta }, isPod)).toBe(expected);
  });
});

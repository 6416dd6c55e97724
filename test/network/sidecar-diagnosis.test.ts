import { describe, expect, it } from 'vitest';
import { lastSidecarError } from '../../src/network/sidecar-diagnosis.ts';

const line = (level: number, msg: string, err?: unknown): string => JSON.stringify({ level, time: 1, name: 'sidecar', msg, ...(err === undefined ? {} : { err }) });

describe('lastSidecarError', () => {
  it.each([
    ['nothing logged', '', undefined],
    ['only info', line(30, 'connected to the service directory'), undefined],
    ['the last error, with its cause', [line(50, 'the DNAT rules could not be installed', 'nft is not installed (Debian package nftables)'), line(30, 'retrying')].join('\n'),
      'the DNAT rules could not be installed: nft is not installed (Debian package nftables)'],
    ['the later of two', [line(40, 'first'), line(50, 'second', { message: 'boom' })].join('\n'), 'second: boom'],
    ['non-JSON lines are skipped', `${line(40, 'directory unreachable')}\nnode: warning\n{not json`, 'directory unreachable'],
  ])('%s', (_name, log, expected) => {
    expect(lastSidecarError(log)).toBe(expected);
  });

  it('bounds what it returns', () => {
    expect(lastSidecarError(line(50, 'x'.repeat(5000)))!.length).toBeLessThanOrEqual(513);
  });
});

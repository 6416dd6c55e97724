import { describe, expect, it } from 'vitest';
import { activePodCredentials, newNodeSecret, podCredential } from '../../../src/network/service-directory/credentials.ts';

describe('pod credentials', () => {
  const secret = newNodeSecret();
  const active = new Set(['uid-a', 'uid-b']);
  const lookup = activePodCredentials(secret, (uid) => active.has(uid));

  it.each<[string, string, boolean]>([
    ['an active pod', 'uid-a', true],
    ['an unknown pod', 'uid-z', false],
    ['an empty uid', '', false],
  ])('%s', (_name, uid, known) => {
    expect(lookup(uid)).toBe(known ? podCredential(secret, uid) : undefined);
  });

  it('names one pod under one node secret', () => {
    expect(podCredential(secret, 'uid-a')).not.toBe(podCredential(secret, 'uid-b'));
    expect(podCredential(secret, 'uid-a')).not.toBe(podCredential(newNodeSecret(), 'uid-a'));
    expect(podCredential(secret, 'uid-a')).toBe(podCredential(Buffer.from(secret), 'uid-a'));
  });

  it('a deleted pod has no credential from then on', () => {
    expect(lookup('uid-b')).toBeDefined();
    active.delete('uid-b');
    expect(lookup('uid-b')).toBeUndefined();
  });
});

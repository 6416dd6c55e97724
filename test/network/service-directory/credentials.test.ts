import { describe, expect, it } from 'vitest';
import {
  credentialMatches, newNodeSecret, podCredential, podCredentialAuthenticator,
} from '../../../src/network/service-directory/credentials.ts';

describe('pod credentials', () => {
  const secret = newNodeSecret();
  const active = new Set(['uid-a', 'uid-b']);
  const authenticate = podCredentialAuthenticator(secret, (uid) => active.has(uid));

  it.each<[string, string, string, boolean]>([
    ['its own credential', 'uid-a', podCredential(secret, 'uid-a'), true],
    ["another pod's credential", 'uid-a', podCredential(secret, 'uid-b'), false],
    ['a credential from another node secret', 'uid-a', podCredential(newNodeSecret(), 'uid-a'), false],
    ['an unknown pod with a valid HMAC', 'uid-z', podCredential(secret, 'uid-z'), false],
    ['an empty credential', 'uid-a', '', false],
    ['an empty uid', '', podCredential(secret, ''), false],
    ['a truncated credential', 'uid-a', podCredential(secret, 'uid-a').slice(0, 20), false],
  ])('%s', (_name, uid, credential, ok) => {
    expect(authenticate(uid, credential)).toBe(ok);
  });

  it('a deleted pod is refused from then on', () => {
    const cred = podCredential(secret, 'uid-b');
    expect(authenticate('uid-b', cred)).toBe(true);
    active.delete('uid-b');
    expect(authenticate('uid-b', cred)).toBe(false);
    expect(credentialMatches(secret, 'uid-b', cred)).toBe(true);
  });
});

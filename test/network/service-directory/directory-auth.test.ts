import { describe, expect, it } from 'vitest';
import { newNodeSecret, podCredential } from '../../../src/network/service-directory/credentials.ts';
import {
  isNonce, MAC_BYTES, MessageOpener, MessageSealer, newNonce, proofMatches, sessionKey, upgradeProof, type UpgradeFields,
} from '../../../src/network/service-directory/directory-auth.ts';

const secret = newNodeSecret();
const credential = podCredential(secret, 'uid-a');
const fields: UpgradeFields = { podUid: 'uid-a', clientNonce: newNonce(), resumeFrom: 'e1:7' };

describe('upgrade proof', () => {
  const proof = upgradeProof(credential, fields);

  it('matches for the same credential and fields', () => {
    expect(proofMatches(credential, fields, proof)).toBe(true);
  });

  it.each<[string, string, UpgradeFields, string]>([
    ["another pod's credential", podCredential(secret, 'uid-b'), fields, proof],
    ['a credential from another node secret', podCredential(newNodeSecret(), 'uid-a'), fields, proof],
    ['another pod uid', credential, { ...fields, podUid: 'uid-b' }, proof],
    ['another client nonce', credential, { ...fields, clientNonce: newNonce() }, proof],
    ['another resume point', credential, { ...fields, resumeFrom: 'e1:6' }, proof],
    ['no resume point', credential, { ...fields, resumeFrom: '' }, proof],
    ['a truncated proof', credential, fields, proof.slice(0, 20)],
    ['an empty proof', credential, fields, ''],
    ['the credential itself', credential, fields, credential],
  ])('refuses %s', (_name, cred, f, p) => {
    expect(proofMatches(cred, f, p)).toBe(false);
  });

  it('fields cannot be shifted into each other', () => {
    const a = upgradeProof(credential, { podUid: 'ab', clientNonce: 'c', resumeFrom: '' });
    expect(proofMatches(credential, { podUid: 'a', clientNonce: 'bc', resumeFrom: '' }, a)).toBe(false);
  });
});

describe('nonces', () => {
  it.each<[string, boolean]>([
    [newNonce(), true],
    ['', false],
    ['short', false],
    [`${newNonce()}x`, false],
    ['aaaaaaaaaaaaaaaaaaaaa=', false],
    ['aaaaaaaaaa aaaaaaaaaaa', false],
  ])('%j is a nonce: %s', (value, ok) => {
    expect(isNonce(value)).toBe(ok);
  });

  it('are fresh', () => {
    expect(new Set(Array.from({ length: 100 }, newNonce)).size).toBe(100);
  });
});

describe('sealed messages', () => {
  const serverNonce = newNonce();
  const key = (): Buffer => sessionKey(credential, { podUid: 'uid-a', clientNonce: fields.clientNonce, serverNonce });
  const seal = (sealer: MessageSealer, text: string): Buffer => {
    const payload = Buffer.from(text);
    return Buffer.concat([sealer.seal(payload), payload]);
  };

  it('open in order, to their payloads', () => {
    const sealer = new MessageSealer(key());
    const opener = new MessageOpener(key());
    for (const text of ['{"a":1}', '{"b":2}', '{"c":3}']) {
      const message = seal(sealer, text);
      expect(message.length).toBe(MAC_BYTES + text.length);
      expect(opener.open(message).toString()).toBe(text);
    }
  });

  it.each<[string, (m: Buffer[]) => Buffer[]]>([
    ['a changed payload byte', ([m]) => [Buffer.concat([m!.subarray(0, -1), Buffer.from('!')])]],
    ['a changed MAC byte', ([m]) => [Buffer.from(m!.map((b, i) => (i === 0 ? b ^ 1 : b)))]],
    ['a skipped message', ([, second]) => [second!]],
    ['a replayed message', ([first]) => [first!, first!]],
    ['a message shorter than a MAC', () => [Buffer.alloc(MAC_BYTES - 1)]],
  ])('refuse %s', (_name, alter) => {
    const sealer = new MessageSealer(key());
    const sent = [seal(sealer, '{"n":0}'), seal(sealer, '{"n":1}')];
    const received = alter(sent);
    const opener = new MessageOpener(key());
    expect(() => {
      for (const m of received) opener.open(m);
    }).toThrow(/authentication|shorter/);
  });

  it('from another session (another nonce or credential) do not open', () => {
    const message = seal(new MessageSealer(key()), '{"n":0}');
    const otherNonce = sessionKey(credential, { podUid: 'uid-a', clientNonce: fields.clientNonce, serverNonce: newNonce() });
    const otherPod = sessionKey(podCredential(secret, 'uid-b'), { podUid: 'uid-a', clientNonce: fields.clientNonce, serverNonce });
    expect(() => new MessageOpener(otherNonce).open(message)).toThrow(/authentication/);
    expect(() => new MessageOpener(otherPod).open(message)).toThrow(/authentication/);
  });

  it('a session key is not the proof of the same fields (separate domains)', () => {
    const asProof = upgradeProof(credential, { podUid: 'uid-a', clientNonce: fields.clientNonce, resumeFrom: serverNonce });
    expect(key().toString('base64url')).not.toBe(asProof);
  });
});

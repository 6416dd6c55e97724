import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubernetesPki, type KubernetesPki } from '../../../src/local/kubernetes/certs.ts';
import { createLocalPki } from '../../../src/local/pki.ts';

let dir: string;
let pki: KubernetesPki;
const cert = async (path: string): Promise<X509Certificate> => new X509Certificate(await readFile(path));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bl-certs-'));
  pki = await createKubernetesPki(dir, 'https://127.0.0.1:6443', ['127.0.0.1']);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the real control plane PKI', () => {
  // kube-apiserver checks every client certificate against the front-proxy CA before the
  // cluster CA; a front-proxy CA of the same subject is a candidate parent of every cluster
  // client certificate, and a signature check that fails on every request.
  it('gives the front-proxy CA a subject no cluster certificate names as its issuer', async () => {
    const [clusterCa, frontProxyCa, admin, proxyClient] = await Promise.all([
      cert(pki.caFile), cert(pki.frontProxyCaFile), cert(join(dir, 'admin.pem')), cert(join(pki.dir, '..', 'pki', 'front-proxy-client.pem')),
    ]);
    expect(frontProxyCa.subject).not.toBe(clusterCa.subject);
    expect(admin.issuer).toBe(clusterCa.subject);
    expect(admin.issuer).not.toBe(frontProxyCa.subject);
    expect(proxyClient.issuer).toBe(frontProxyCa.subject);
    expect(proxyClient.verify(frontProxyCa.publicKey)).toBe(true);
  });

  it('keeps the cluster CA of a state dir, and replaces a front-proxy CA named as the cluster CA (a state dir from before)', async () => {
    const old = await mkdtemp(join(tmpdir(), 'bl-certs-old-'));
    try {
      await createLocalPki(join(old, 'kubernetes', 'pki', 'front-proxy'));
      const first = await createKubernetesPki(old, 'https://127.0.0.1:6443', ['127.0.0.1']);
      const [clusterCa, frontProxyCa] = await Promise.all([readFile(first.caFile, 'utf8'), cert(first.frontProxyCaFile)]);
      expect(frontProxyCa.subject).toBe('CN=front-proxy-ca');
      const again = await createKubernetesPki(old, 'https://127.0.0.1:6443', ['127.0.0.1']);
      expect(await readFile(again.caFile, 'utf8')).toBe(clusterCa);
      expect((await cert(again.frontProxyCaFile)).fingerprint256).toBe(frontProxyCa.fingerprint256);
    } finally {
      await rm(old, { recursive: true, force: true });
    }
  });
});

// The local control plane's PKI: one CA (kept across restarts in the state dir so kubeconfigs
// stay valid), the API server's serving cert, client certs for the admin and for the
// apiserver→kubelet proxy, certificates issued on demand (kubelet endpoints, sidecars), and
// HMAC-signed bearer tokens standing in for ServiceAccount tokens. ECDSA P-256 throughout:
// Go's crypto/tls and Node accept it, and it is fast to generate.
import { createHmac, randomBytes, timingSafeEqual, webcrypto } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type * as X509 from '@peculiar/x509';
import { loadX509 } from '../tls/x509.ts';
import { stringify } from 'yaml';

const x509 = await loadX509();

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** Who a request comes from, as kube-apiserver's authenticators report it. */
export interface UserInfo {
  username: string;
  groups: string[];
}

export interface CertKeyPair {
  certPem: string;
  keyPem: string;
}

export interface IssueOptions {
  commonName: string;
  organizations?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
  /** server: serverAuth only; client: clientAuth only; both: either. */
  usage: 'server' | 'client' | 'both';
  validDays?: number;
}

export interface LocalPki {
  dir: string;
  caPem: string;
  serving: CertKeyPair;
  admin: CertKeyPair;
  kubeletClient: CertKeyPair;
  issue(opts: IssueOptions): Promise<CertKeyPair>;
  /** A bearer token for `user`, verifiable by this PKI (and by TokenReview); without a TTL it lasts as long as the state dir. */
  mintToken(user: UserInfo, ttlSeconds?: number): string;
  verifyToken(token: string): UserInfo | null;
}

const ALG: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const DAY_MS = 86_400_000;

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function keyToPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

async function pemToKey(pem: string): Promise<CryptoKey> {
  return webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(pem), ALG, true, ['sign']);
}

function subjectName(commonName: string, organizations: string[] = []): X509.JsonName {
  return [{ CN: [commonName] }, ...organizations.map((o) => ({ O: [o] }))];
}

interface Ca {
  cert: X509.X509Certificate;
  key: CryptoKey;
  pem: string;
  keyPem: string;
}

async function loadOrCreateCa(dir: string): Promise<Ca> {
  const certPath = join(dir, 'ca.pem');
  const keyPath = join(dir, 'ca-key.pem');
  try {
    const [pem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    return { cert: new x509.X509Certificate(pem), key: await pemToKey(keyPem), pem, keyPem };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString('hex'),
    name: subjectName('burstlet-local-ca'),
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3650 * DAY_MS),
    signingAlgorithm: SIGNING,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const ca = { cert, key: keys.privateKey, pem: cert.toString('pem'), keyPem: await keyToPem(keys.privateKey) };
  await writeFile(certPath, ca.pem);
  await writeFile(keyPath, ca.keyPem, { mode: 0o600 });
  return ca;
}

async function issueFrom(ca: Ca, opts: IssueOptions): Promise<CertKeyPair> {
  const keys = await generateKeys();
  const usages = {
    server: [x509.ExtendedKeyUsage.serverAuth],
    client: [x509.ExtendedKeyUsage.clientAuth],
    both: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
  }[opts.usage];
  const names: X509.JsonGeneralName[] = [
    ...(opts.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(opts.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(8).toString('hex'),
    subject: subjectName(opts.commonName, opts.organizations),
    issuer: ca.cert.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + (opts.validDays ?? 365) * DAY_MS),
    signingAlgorithm: SIGNING,
    publicKey: keys.publicKey,
    signingKey: ca.key,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension(usages),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await keyToPem(keys.privateKey) };
}

async function loadOrCreateSecret(path: string): Promise<Buffer> {
  try {
    return Buffer.from(await readFile(path, 'utf8'), 'base64');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = randomBytes(32);
  await writeFile(path, secret.toString('base64'), { mode: 0o600 });
  return secret;
}

async function writePair(dir: string, name: string, pair: CertKeyPair): Promise<void> {
  await writeFile(join(dir, `${name}.pem`), pair.certPem);
  await writeFile(join(dir, `${name}-key.pem`), pair.keyPem, { mode: 0o600 });
}

export interface PkiOptions {
  /** Extra IP addresses the API server's certificate is valid for (besides loopback and 198.19.0.1). */
  servingIps?: string[];
  servingDnsNames?: string[];
}

/** Loads the CA from `dir` (or creates it) and issues this run's server and client certs. */
export async function createLocalPki(dir: string, opts: PkiOptions = {}): Promise<LocalPki> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const ca = await loadOrCreateCa(dir);
  const tokenKey = await loadOrCreateSecret(join(dir, 'token-key'));
  const issue = (opts: IssueOptions): Promise<CertKeyPair> => issueFrom(ca, opts);
  const [serving, admin, kubeletClient] = await Promise.all([
    issue({
      commonName: 'kube-apiserver',
      dnsNames: [...new Set(['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', ...(opts.servingDnsNames ?? [])])],
      ipAddresses: [...new Set(['127.0.0.1', '::1', '198.19.0.1', ...(opts.servingIps ?? [])])],
      usage: 'server',
    }),
    issue({ commonName: 'burstlet-admin', organizations: ['system:masters'], usage: 'client' }),
    issue({ commonName: 'kube-apiserver-kubelet-client', organizations: ['system:masters'], usage: 'client' }),
  ]);
  await Promise.all([writePair(dir, 'apiserver', serving), writePair(dir, 'admin', admin), writePair(dir, 'kubelet-client', kubeletClient)]);

  const sign = (payload: string): Buffer => createHmac('sha256', tokenKey).update(payload).digest();
  return {
    dir,
    caPem: ca.pem,
    serving,
    admin,
    kubeletClient,
    issue,
    mintToken(user, ttlSeconds) {
      const expires = ttlSeconds === undefined ? {} : { e: Math.floor(Date.now() / 1000) + ttlSeconds };
      const payload = Buffer.from(JSON.stringify({ u: user.username, g: user.groups, ...expires })).toString('base64url');
      return `bl1.${payload}.${sign(payload).toString('base64url')}`;
    },
    verifyToken(token) {
      const [prefix, payload, mac] = token.split('.');
      if (prefix !== 'bl1' || !payload || !mac) return null;
      const expected = sign(payload);
      const given = Buffer.from(mac, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      try {
        const body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { u?: unknown; g?: unknown; e?: unknown };
        if (typeof body.u !== 'string' || !Array.isArray(body.g)) return null;
        if (typeof body.e === 'number' && body.e * 1000 < Date.now()) return null;
        return { username: body.u, groups: body.g.filter((g): g is string => typeof g === 'string') };
      } catch {
        return null;
      }
    },
  };
}

export type KubeconfigCredentials = { client: CertKeyPair } | { token: string };

/** Writes a kubeconfig with embedded CA and credentials (one cluster, user and context: "burstlet-local"). */
export async function writeKubeconfig(path: string, server: string, caPem: string, creds: KubeconfigCredentials): Promise<void> {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const user =
    'client' in creds
      ? { 'client-certificate-data': b64(creds.client.certPem), 'client-key-data': b64(creds.client.keyPem) }
      : { token: creds.token };
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'burstlet-local', cluster: { server, 'certificate-authority-data': b64(caPem) } }],
    users: [{ name: 'burstlet-local', user }],
    contexts: [{ name: 'burstlet-local', context: { cluster: 'burstlet-local', user: 'burstlet-local' } }],
    'current-context': 'burstlet-local',
    preferences: {},
  };
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, stringify(config), { mode: 0o600 });
}

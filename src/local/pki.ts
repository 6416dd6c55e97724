// The local control plane's PKI: one CA (kept across restarts in the state dir so kubeconfigs
// stay valid), the API server's serving cert, client certs for the admin and for the
// apiserver→kubelet proxy, certificates issued on demand (kubelet endpoints, sidecars), and
// HMAC-signed bearer tokens standing in for ServiceAccount tokens. ECDSA P-256 throughout:
// Go's crypto/tls and Node accept it, and it is fast to generate.
import { createHmac, randomBytes, timingSafeEqual, X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createCa, issueCert, type CertKeyPair, type IssueOptions } from '../tls/ca.ts';
import { stringify } from 'yaml';

export type { CertKeyPair, IssueOptions };

/** Who a request comes from, as kube-apiserver's authenticators report it. */
export interface UserInfo {
  username: string;
  groups: string[];
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

async function loadOrCreateCa(dir: string, commonName: string): Promise<CertKeyPair> {
  const certPath = join(dir, 'ca.pem');
  const keyPath = join(dir, 'ca-key.pem');
  try {
    const [certPem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    // A CA of another name (a state dir from before the front-proxy CA had its own) is replaced:
    // only this run's certificates, issued below, hang from it.
    if (new X509Certificate(certPem).subject === `CN=${commonName}`) return { certPem, keyPem };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const ca = await createCa(commonName);
  await writeFile(certPath, ca.certPem);
  await writeFile(keyPath, ca.keyPem, { mode: 0o600 });
  return ca;
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
  /**
   * The CA's subject; a CA of another name found in `dir` is replaced. Two CAs one API server trusts
   * need different names: Go's chain builder tries every CA whose subject is a certificate's
   * issuer, so a second CA of the same name cost kube-apiserver a failing signature check on
   * every request made with a client certificate (11% of its CPU in bench/pods).
   */
  caCommonName?: string;
}

/** Loads the CA from `dir` (or creates it) and issues this run's server and client certs. */
export async function createLocalPki(dir: string, opts: PkiOptions = {}): Promise<LocalPki> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const ca = await loadOrCreateCa(dir, opts.caCommonName ?? 'burstlet-local-ca');
  const tokenKey = await loadOrCreateSecret(join(dir, 'token-key'));
  const issue = (opts: IssueOptions): Promise<CertKeyPair> => issueCert(ca, opts);
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
    caPem: ca.certPem,
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

// Kubeconfig loading without @kubernetes/client-node at run time (importing it costs ~90 MB
// of RSS: the virtual node's budget is 200 MB). Supports what burstlet's deployments use:
// a kubeconfig file with server, CA, client certificate/key or token (inline or files),
// insecure-skip-tls-verify; and the in-cluster service account. Exec and auth-provider
// plugins are refused with a clear message.
import { readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';
import { errorMessage } from '../log/error-message.ts';

export interface KubeConfigData {
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecureSkipTLSVerify: boolean;
  /** A fixed bearer token, or a file re-read when the client refreshes its headers. */
  token?: string;
  tokenFile?: string;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

interface RawConfig {
  'current-context'?: string;
  contexts?: { name: string; context: { cluster: string; user?: string } }[];
  clusters?: { name: string; cluster: Record<string, string | boolean | undefined> }[];
  users?: { name: string; user: Record<string, unknown> }[];
}

/** The bearer token to send now, if any. */
export function bearerToken(c: KubeConfigData): string | undefined {
  if (c.token) return c.token;
  if (c.tokenFile) return readFileSync(c.tokenFile, 'utf8').trim();
  return undefined;
}

function inCluster(): KubeConfigData {
  const host = process.env.KUBERNETES_SERVICE_HOST!;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  return {
    server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`,
    ca: readFileSync(join(SA_DIR, 'ca.crt')),
    insecureSkipTLSVerify: false,
    tokenFile: join(SA_DIR, 'token'),
  };
}

/** Loads a kubeconfig file, or the in-cluster service-account config when `path` is "". */
export function loadKubeConfig(path: string): KubeConfigData {
  if (path === '') {
    if (process.env.KUBERNETES_SERVICE_HOST) return inCluster();
    throw new Error('no --kubeconfig given and not running in a cluster (KUBERNETES_SERVICE_HOST is unset); pass --kubeconfig=<file>');
  }
  let raw: RawConfig;
  try {
    raw = parse(readFileSync(path, 'utf8')) as RawConfig;
  } catch (err) {
    throw new Error(`cannot read kubeconfig ${JSON.stringify(path)}: ${errorMessage(err)}`, { cause: err });
  }
  const fail = (what: string): never => {
    throw new Error(`kubeconfig ${JSON.stringify(path)}: ${what}`);
  };
  const base = dirname(path);
  const file = (p: string): Buffer => readFileSync(isAbsolute(p) ? p : join(base, p));
  const contextName = raw['current-context'] ?? fail('no current-context; set one with kubectl config use-context');
  const context = raw.contexts?.find((c) => c.name === contextName)?.context ?? fail(`context ${JSON.stringify(contextName)} not found`);
  const cluster = raw.clusters?.find((c) => c.name === context.cluster)?.cluster ?? fail(`cluster ${JSON.stringify(context.cluster)} not found`);
  const user = (raw.users?.find((u) => u.name === context.user)?.user ?? {}) as Record<string, string | undefined>;
  if (user.exec || user['auth-provider']) fail('exec and auth-provider credentials are not supported; use a client certificate or a token');
  const out: KubeConfigData = {
    server: String(cluster.server ?? fail('the cluster has no server')).replace(/\/$/, ''),
    insecureSkipTLSVerify: cluster['insecure-skip-tls-verify'] === true,
  };
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const caData = str(cluster['certificate-authority-data']);
  const caFile = str(cluster['certificate-authority']);
  if (caData) out.ca = Buffer.from(caData, 'base64');
  else if (caFile) out.ca = file(caFile);
  if (str(user['client-certificate-data'])) out.cert = Buffer.from(user['client-certificate-data']!, 'base64');
  else if (str(user['client-certificate'])) out.cert = file(user['client-certificate']!);
  if (str(user['client-key-data'])) out.key = Buffer.from(user['client-key-data']!, 'base64');
  else if (str(user['client-key'])) out.key = file(user['client-key']!);
  if (str(user.token)) out.token = user.token!;
  else if (str(user.tokenFile)) out.tokenFile = isAbsolute(user.tokenFile!) ? user.tokenFile! : join(base, user.tokenFile!);
  return out;
}

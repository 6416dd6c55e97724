// The certificates and kubeconfigs the real control plane runs with, from the local PKI
// (pki.ts): the same CA as the embedded plane (so the nodes' --client-ca-file and the admin
// kubeconfig are where they always are), plus a front-proxy CA of its own for the aggregation
// layer, one client identity per component, and the ServiceAccount token signing key.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLocalPki, writeKubeconfig, type CertKeyPair, type LocalPki } from '../pki.ts';

export interface PemFiles {
  cert: string;
  key: string;
}

/** The identities the components authenticate as (client certificates, CN = user). */
export const COMPONENT_USERS = {
  'kube-controller-manager': 'system:kube-controller-manager',
  'kube-scheduler': 'system:kube-scheduler',
  'metrics-server': 'system:metrics-server',
  coredns: 'system:coredns',
} as const;
export type ClientComponent = keyof typeof COMPONENT_USERS;

export const FRONT_PROXY_CLIENT = 'front-proxy-client';
export const FRONT_PROXY_CA = 'front-proxy-ca';
/** What metrics-server's serving certificate names: the Service the APIService points at. */
export const METRICS_SERVER_NAMES = ['metrics-server.kube-system.svc', 'metrics-server.kube-system', 'metrics-server'];

export interface KubernetesPki {
  pki: LocalPki;
  dir: string;
  caFile: string;
  caKeyFile: string;
  apiserver: PemFiles;
  kubeletClient: PemFiles;
  adminKubeconfig: string;
  /** The ECDSA key that signs ServiceAccount tokens (PKCS#8) and its public key (as a certificate). */
  serviceAccount: PemFiles;
  frontProxyCaFile: string;
  proxyClient: PemFiles;
  metricsServerServing: PemFiles;
  kubeconfigs: Record<ClientComponent, string>;
  /** A kubelet serving certificate the API server verifies (IP SAN = the address it dials). */
  issueKubeletServing(nodeName: string, nodeIP: string): Promise<PemFiles>;
}

async function save(dir: string, name: string, pair: CertKeyPair): Promise<PemFiles> {
  const files = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}-key.pem`) };
  await writeFile(files.cert, pair.certPem);
  await writeFile(files.key, pair.keyPem, { mode: 0o600 });
  return files;
}

export async function createKubernetesPki(stateDir: string, apiserverUrl: string, servingIps: string[]): Promise<KubernetesPki> {
  const pki = await createLocalPki(stateDir, { servingIps });
  const dir = join(stateDir, 'kubernetes', 'pki');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // A CA of its own for the request-header proxy client, as kubeadm does: a client certificate
  // of the cluster CA must never be able to assert identities through X-Remote-User. Its name
  // is kubeadm's too.
  const frontProxy = await createLocalPki(join(dir, 'front-proxy'), { caCommonName: FRONT_PROXY_CA });
  const issueClient = (commonName: string): Promise<CertKeyPair> => pki.issue({ commonName, usage: 'client' });
  const [proxyClient, metricsServerServing, signer] = await Promise.all([
    frontProxy.issue({ commonName: FRONT_PROXY_CLIENT, usage: 'client' }).then((p) => save(dir, 'front-proxy-client', p)),
    pki.issue({ commonName: 'metrics-server', dnsNames: [...METRICS_SERVER_NAMES, 'localhost'], ipAddresses: ['127.0.0.1'], usage: 'server' }).then((p) => save(dir, 'metrics-server', p)),
    // The key pair is what matters: kube-apiserver reads the public key from the certificate
    // (its key-file parser takes PKIX keys or certificates, and SEC1 but not PKCS#8 private keys).
    pki.issue({ commonName: 'service-account-signer', usage: 'client' }).then((p) => save(dir, 'service-account', p)),
  ]);
  const kubeconfigs = {} as Record<ClientComponent, string>;
  for (const [component, user] of Object.entries(COMPONENT_USERS) as [ClientComponent, string][]) {
    kubeconfigs[component] = join(dir, `${component}.kubeconfig`);
    await writeKubeconfig(kubeconfigs[component], apiserverUrl, pki.caPem, { client: await issueClient(user) });
  }
  const adminKubeconfig = join(stateDir, 'kubeconfig');
  await writeKubeconfig(adminKubeconfig, apiserverUrl, pki.caPem, { client: pki.admin });
  return {
    pki,
    dir,
    caFile: join(stateDir, 'ca.pem'),
    caKeyFile: join(stateDir, 'ca-key.pem'),
    apiserver: { cert: join(stateDir, 'apiserver.pem'), key: join(stateDir, 'apiserver-key.pem') },
    kubeletClient: { cert: join(stateDir, 'kubelet-client.pem'), key: join(stateDir, 'kubelet-client-key.pem') },
    adminKubeconfig,
    serviceAccount: signer,
    frontProxyCaFile: join(dir, 'front-proxy', 'ca.pem'),
    proxyClient,
    metricsServerServing,
    kubeconfigs,
    async issueKubeletServing(nodeName, nodeIP) {
      const pair = await pki.issue({ commonName: `system:node:${nodeName}`, organizations: ['system:nodes'], dnsNames: [nodeName], ipAddresses: [nodeIP], usage: 'server' });
      return save(dir, `kubelet-${nodeName}`, pair);
    },
  };
}

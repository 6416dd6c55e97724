// The command lines of the real components, as pure functions of where things are: the flags
// a kubeadm-made control plane runs with (Node,RBAC authorization, default admission plugins,
// ServiceAccount token signing, the kubelet client verifying kubelet serving certificates, the
// aggregation layer), bound to loopback.
import type { ClientComponent, KubernetesPki } from './certs.ts';
import { FRONT_PROXY_CLIENT } from './certs.ts';

/** The service CIDR and cluster DNS address the embedded control plane uses too. */
export const SERVICE_CIDR = '198.19.0.0/16';
export const CLUSTER_DOMAIN = 'cluster.local';
export const SERVICE_ACCOUNT_ISSUER = `https://kubernetes.default.svc.${CLUSTER_DOMAIN}`;

export interface Ports {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
  metricsServer: number;
  dns: number;
  dnsHealth: number;
  dnsReady: number;
}

export interface Layout {
  /** Where the API server listens (and what it advertises as the `kubernetes` Service's endpoint). */
  host: string;
  ports: Ports;
  pki: Pick<KubernetesPki, 'caFile' | 'caKeyFile' | 'apiserver' | 'kubeletClient' | 'serviceAccount' | 'frontProxyCaFile' | 'proxyClient' | 'metricsServerServing'> & {
    kubeconfigs: Record<ClientComponent, string>;
  };
  etcdDataDir: string;
  auditPolicyFile: string;
  auditLogFile: string;
  corefile: string;
}

const loopbackUrl = (port: number): string => `http://127.0.0.1:${port}`;

export function etcdArgs(l: Layout): string[] {
  const client = loopbackUrl(l.ports.etcdClient);
  const peer = loopbackUrl(l.ports.etcdPeer);
  return [
    '--name=local',
    `--data-dir=${l.etcdDataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=local=${peer}`,
    '--log-level=warn',
  ];
}

export function apiserverArgs(l: Layout): string[] {
  const { pki } = l;
  return [
    `--etcd-servers=${loopbackUrl(l.ports.etcdClient)}`,
    `--bind-address=${l.host}`,
    `--advertise-address=${l.host}`,
    `--secure-port=${l.ports.apiserver}`,
    `--tls-cert-file=${pki.apiserver.cert}`,
    `--tls-private-key-file=${pki.apiserver.key}`,
    `--client-ca-file=${pki.caFile}`,
    '--authorization-mode=Node,RBAC',
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-account-key-file=${pki.serviceAccount.cert}`,
    `--service-account-signing-key-file=${pki.serviceAccount.key}`,
    `--kubelet-client-certificate=${pki.kubeletClient.cert}`,
    `--kubelet-client-key=${pki.kubeletClient.key}`,
    `--kubelet-certificate-authority=${pki.caFile}`,
    '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname',
    // The aggregation layer (metrics.k8s.io): the API server proxies as front-proxy-client, and
    // metrics-server trusts the X-Remote-* headers only from a certificate of the front-proxy CA.
    `--requestheader-client-ca-file=${pki.frontProxyCaFile}`,
    `--requestheader-allowed-names=${FRONT_PROXY_CLIENT}`,
    '--requestheader-username-headers=X-Remote-User',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    `--proxy-client-cert-file=${pki.proxyClient.cert}`,
    `--proxy-client-key-file=${pki.proxyClient.key}`,
    `--audit-policy-file=${l.auditPolicyFile}`,
    `--audit-log-path=${l.auditLogFile}`,
    '--audit-log-format=json',
  ];
}

/** Flags every component with its own secure port and delegated authn/authz takes. */
function delegated(kubeconfig: string, port: number): string[] {
  return [`--kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`, '--bind-address=127.0.0.1', `--secure-port=${port}`];
}

export function controllerManagerArgs(l: Layout): string[] {
  const { pki } = l;
  return [
    ...delegated(pki.kubeconfigs['kube-controller-manager'], l.ports.controllerManager),
    '--controllers=*,bootstrapsigner,tokencleaner',
    '--use-service-account-credentials=true',
    `--root-ca-file=${pki.caFile}`,
    `--service-account-private-key-file=${pki.serviceAccount.key}`,
    `--cluster-signing-cert-file=${pki.caFile}`,
    `--cluster-signing-key-file=${pki.caKeyFile}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--cluster-name=burstlet-local',
  ];
}

export function schedulerArgs(l: Layout): string[] {
  return delegated(l.pki.kubeconfigs['kube-scheduler'], l.ports.scheduler);
}

export function metricsServerArgs(l: Layout): string[] {
  const { pki } = l;
  return [
    ...delegated(pki.kubeconfigs['metrics-server'], l.ports.metricsServer),
    `--tls-cert-file=${pki.metricsServerServing.cert}`,
    `--tls-private-key-file=${pki.metricsServerServing.key}`,
    // As metrics-server's own manifest: the kubelet port from the Node's daemonEndpoints, every 15 s.
    '--kubelet-use-node-status-port',
    '--metric-resolution=15s',
    '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname',
    `--kubelet-certificate-authority=${pki.caFile}`,
  ];
}

/** CoreDNS's command line; its configuration is the Corefile (corefile()). */
export function corednsArgs(l: Layout): string[] {
  return [`-conf=${l.corefile}`];
}

/**
 * The Corefile kubeadm installs, less `forward`: names outside the cluster domain get no
 * answer, as from the embedded plane's DNS server (nothing leaves the machine).
 */
export function corefile(l: Layout, dnsHost: string): string {
  return `.:${l.ports.dns} {
    bind ${dnsHost}
    errors
    health 127.0.0.1:${l.ports.dnsHealth}
    ready 127.0.0.1:${l.ports.dnsReady}
    kubernetes ${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {
        kubeconfig ${l.pki.kubeconfigs.coredns} burstlet-local
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }
    cache 30
    loadbalance
}
`;
}

/** burstlet's identity in the local environment: the manifests' ServiceAccount. */
export const BURSTLET_USER = 'system:serviceaccount:kube-system:burstlet';

/** kube-apiserver's audit policy: every request burstlet makes, with its response code. */
export function auditPolicy(): string {
  return `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    users: ["${BURSTLET_USER}"]
  - level: None
`;
}

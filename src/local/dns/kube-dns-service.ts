// The `kube-dns` Service in kube-system that fronts the local cluster DNS: a selector-less
// Service on the well-known ClusterIP, and an EndpointSlice (not managed by the
// EndpointSlice controller) pointing at where the DNS server really listens.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { KubeClient, loadKubeConfig } from '../../kube/client.ts';
import { isAlreadyExists } from '../../kube/errors.ts';

export const KUBE_DNS_CLUSTER_IP = '198.19.0.10';
const NAMESPACE = 'kube-system';
const NAME = 'kube-dns';
const SLICE_NAME = 'kube-dns-local';

export interface KubeDnsServiceOptions {
  kubeconfigPath: string;
  /**
   * The address burst pods and the cluster node reach the DNS server at; without it the Service
   * has no endpoints (a real API server refuses loopback endpoint addresses).
   */
  endpointIP?: string;
  /** The port the DNS server listens on there (UDP and TCP). */
  endpointPort?: number;
  clusterIP?: string;
}

export function kubeDnsService(clusterIP: string): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: NAME, namespace: NAMESPACE, labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS', 'kubernetes.io/cluster-service': 'true' } },
    spec: {
      clusterIP,
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
      ],
    },
  };
}

export function kubeDnsSlice(endpointIP: string, endpointPort: number): V1EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: SLICE_NAME,
      namespace: NAMESPACE,
      labels: { 'kubernetes.io/service-name': NAME, 'endpointslice.kubernetes.io/managed-by': 'burstlet-local' },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [endpointIP], conditions: { ready: true, serving: true, terminating: false } }],
    ports: [
      { name: 'dns', port: endpointPort, protocol: 'UDP' },
      { name: 'dns-tcp', port: endpointPort, protocol: 'TCP' },
    ],
  };
}

/** Creates or updates the kube-dns Service and its EndpointSlice (idempotent). */
export async function registerKubeDnsService(options: KubeDnsServiceOptions): Promise<void> {
  const client = await KubeClient.create(loadKubeConfig(options.kubeconfigPath));
  try {
    const servicePath = `/api/v1/namespaces/${NAMESPACE}/services`;
    try {
      await client.request('POST', servicePath, { body: kubeDnsService(options.clusterIP ?? KUBE_DNS_CLUSTER_IP) });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    if (options.endpointIP === undefined || options.endpointPort === undefined) return;
    const slicePath = `/apis/discovery.k8s.io/v1/namespaces/${NAMESPACE}/endpointslices`;
    const slice = kubeDnsSlice(options.endpointIP, options.endpointPort);
    try {
      await client.request('POST', slicePath, { body: slice });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      await client.request('PATCH', `${slicePath}/${SLICE_NAME}`, { body: { endpoints: slice.endpoints, ports: slice.ports }, contentType: 'application/merge-patch+json' });
    }
  } finally {
    await client.close();
  }
}

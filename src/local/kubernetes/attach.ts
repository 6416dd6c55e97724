// `burstlet local --kubeconfig=PATH`: no control plane of our own; the local nodes join the
// cluster that kubeconfig names, under that kubeconfig's identity.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { V1Service } from '@kubernetes/client-node';
import { KubeClient, loadKubeConfig } from '../../kube/client.ts';
import { isNotFound } from '../../kube/errors.ts';

export interface AttachedCluster {
  url: string;
  /**
   * The cluster CA, which in kubeadm, kind and minikube clusters also signs kube-apiserver's
   * kubelet client certificate: the nodes trust it for client certificates.
   */
  clientCaFile: string | undefined;
  /** The kube-dns Service's ClusterIP, for the nodes' --cluster-dns, if the cluster has one. */
  clusterDns: string | undefined;
}

export async function attachToCluster(kubeconfigPath: string, stateDir: string): Promise<AttachedCluster> {
  const config = loadKubeConfig(kubeconfigPath);
  let clientCaFile: string | undefined;
  if (config.ca) {
    clientCaFile = join(stateDir, 'cluster-ca.pem');
    await writeFile(clientCaFile, config.ca);
  }
  const client = await KubeClient.create(config);
  try {
    const service = await client.request<V1Service>('GET', '/api/v1/namespaces/kube-system/services/kube-dns').catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
    const ip = service?.spec?.clusterIP;
    return { url: config.server, clientCaFile, clusterDns: ip && ip !== 'None' ? ip : undefined };
  } finally {
    await client.close();
  }
}

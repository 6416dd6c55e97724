// --enable-networking for `burstlet node`, in one call: the node's credential key, the service
// directory (mount `directory.server.handleUpgrade` on the kubelet HTTPS server) and
// `sidecarFor`, which the pod controller passes to the translator for every burst pod.
import type { CciContainer } from '../cci/types.ts';
import type { Logger } from '../log/logger.ts';
import type { KubeClient } from '../provider/kube/client.ts';
import { loadOrCreateNodeSecret, startNodeServiceDirectory, type NodeServiceDirectory } from './service-directory/node-directory.ts';
import { sidecarContainer } from './sidecar-injection.ts';

export interface NodeNetworkingOptions {
  client: KubeClient;
  log: Logger;
  nodeName: string;
  /** --sidecar-image */
  image: string;
  /** wss://<address burst pods reach the node at>:<kubelet port><directory.path> */
  directoryUrl: string;
  /** PEM of the CA of the kubelet serving certificate, when pods cannot verify it otherwise. */
  caPem?: string;
  /** True while the pod with this uid is a burst pod of this node. */
  isActivePod(podUid: string): boolean;
  /** Where the credential key Secret lives (burstlet needs get/create on secrets there). */
  secretNamespace?: string;
}

export interface NodeNetworking {
  directory: NodeServiceDirectory;
  /** The burstlet-network container for a pod; undefined for a pod without a uid (never created). */
  sidecarFor(pod: { metadata?: { uid?: string } }): CciContainer | undefined;
  stop(): void;
}

export async function startNodeNetworking(o: NodeNetworkingOptions): Promise<NodeNetworking> {
  const secret = await loadOrCreateNodeSecret(o.client, o.secretNamespace ?? 'kube-system', `burstlet-sidecar-key-${o.nodeName}`);
  const directory = startNodeServiceDirectory({ client: o.client, log: o.log, secret, isActivePod: o.isActivePod });
  return {
    directory,
    sidecarFor: (pod) => {
      const uid = pod.metadata?.uid;
      if (!uid) return undefined;
      return sidecarContainer({
        image: o.image, directoryUrl: o.directoryUrl, podUid: uid, credential: directory.credentialFor(uid),
        ...(o.caPem ? { caPem: o.caPem } : {}),
      });
    },
    stop: () => directory.stop(),
  };
}

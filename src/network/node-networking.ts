// --enable-networking for `burstlet node`, in one call: the node's credential key, the service
// directory on its own listener (or `kubeletUpgrade` to mount on the kubelet HTTPS server) and
// `sidecarFor`, which the pod controller passes to the translator for every burst pod.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { CciContainer } from '../cci/types.ts';
import type { Logger } from '../log/logger.ts';
import type { ConnectionLimits } from '../net/connection-guard.ts';
import type { KubeClient } from '../kube/client.ts';
import { loadOrCreateNodeSecret, startNodeServiceDirectory, type NodeServiceDirectory } from './service-directory/node-directory.ts';
import { DIRECTORY_PATH } from './service-directory/protocol.ts';
import { serveDirectory } from './service-directory/server.ts';
import { sidecarContainer, type ProxyMode } from './sidecar-injection.ts';
import { urlHost } from '../net/url-host.ts';

/**
 * Where the directory is served: a plain listener of its own (every message authenticated,
 * directory-auth.ts), or the kubelet port's TLS (also encrypted, at about 4x the memory per sidecar).
 */
export type DirectoryTransport =
  | { kind: 'plain'; listenAddress: string; port: number; limits?: ConnectionLimits }
  | { kind: 'kubelet-tls'; kubeletPort: number; caPem: string };

export interface NodeNetworkingOptions {
  client: KubeClient;
  log: Logger;
  nodeName: string;
  /** --sidecar-image */
  image: string;
  /** --sidecar-proxy-mode */
  proxyMode: ProxyMode;
  /** --service-directory-service: '' = none. */
  directoryService?: string;
  /** The address burst pods reach this node at. */
  directoryAddress: string;
  transport: DirectoryTransport;
  /** True while the pod with this uid is a burst pod of this node. */
  isActivePod(podUid: string): boolean;
  /** Where the credential key Secret lives (burstlet needs get/create on secrets there). */
  secretNamespace?: string;
}

export interface NodeNetworking {
  directory: NodeServiceDirectory;
  /** The sidecars' URL of the directory. */
  directoryUrl: string;
  /** With the kubelet-tls transport: the kubelet server's upgrade hook (returns false for other paths). */
  kubeletUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;
  /** The burstlet-network container for a pod; undefined for a pod without a uid (never created). */
  sidecarFor(pod: { metadata?: { uid?: string } }): CciContainer | undefined;
  stop(): Promise<void>;
}

export async function startNodeNetworking(o: NodeNetworkingOptions): Promise<NodeNetworking> {
  const secret = await loadOrCreateNodeSecret(o.client, o.secretNamespace ?? 'kube-system', `burstlet-sidecar-key-${o.nodeName}`);
  const directory = startNodeServiceDirectory({ client: o.client, log: o.log, secret, isActivePod: o.isActivePod });
  const t = o.transport;
  const host = urlHost(o.directoryAddress);
  const served = t.kind === 'plain'
    ? await serveDirectory(directory.server, { host: t.listenAddress, port: t.port, ...(t.limits ? { limits: t.limits } : {}) }).catch((err: unknown) => {
      directory.stop();
      throw new Error(`cannot serve the service directory on ${t.listenAddress}:${t.port} (--service-directory-port): ${String(err)}`);
    })
    : undefined;
  const directoryUrl = t.kind === 'plain' ? `ws://${host}:${t.port}${DIRECTORY_PATH}` : `wss://${host}:${t.kubeletPort}${DIRECTORY_PATH}`;
  return {
    directory,
    directoryUrl,
    ...(t.kind === 'kubelet-tls' ? { kubeletUpgrade: (req, socket, head) => directory.server.handleUpgrade(req, socket, head) } : {}),
    sidecarFor: (pod) => {
      const uid = pod.metadata?.uid;
      if (!uid) return undefined;
      return sidecarContainer({
        image: o.image, proxyMode: o.proxyMode, directoryUrl, ...(o.directoryService ? { directoryService: o.directoryService } : {}), podUid: uid, credential: directory.credentialFor(uid),
        // Sidecars verify the kubelet port's serving certificate with it.
        ...(t.kind === 'kubelet-tls' ? { caPem: t.caPem } : {}),
      });
    },
    stop: async () => {
      directory.stop();
      await served?.close();
    },
  };
}

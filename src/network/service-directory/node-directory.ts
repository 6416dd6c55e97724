// The service directory as `burstlet node` runs it: the node secret that signs pod credentials
// (kept in a Kubernetes Secret so that sidecars' credentials survive a burstlet restart), the
// two watches, and the WebSocket server (node-networking.ts decides where it listens).
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../log/logger.ts';
import type { KubeClient } from '../../kube/client.ts';
import { isAlreadyExists, isNotFound } from '../../kube/errors.ts';
import { activePodCredentials, podCredential } from './credentials.ts';
import { watchServiceDirectory } from './informer-source.ts';
import { DIRECTORY_PATH } from './protocol.ts';
import { createDirectoryServer, type DirectoryServer } from './server.ts';
import { DirectoryState } from './state.ts';

const SECRET_KEY = 'sidecar-credential-key';

interface SecretObject {
  data?: Record<string, string>;
}

/** The node's credential key from Secret <namespace>/<name>, created with a random key when missing. */
export async function loadOrCreateNodeSecret(client: KubeClient, namespace: string, name: string): Promise<Buffer> {
  const path = `/api/v1/namespaces/${namespace}/secrets`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const existing = await client.request<SecretObject>('GET', `${path}/${name}`);
      const value = existing.data?.[SECRET_KEY];
      if (!value) throw new Error(`Secret ${namespace}/${name} has no ${SECRET_KEY}; delete it and burstlet will create a new one`);
      return Buffer.from(value, 'base64');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    try {
      const key = randomBytes(32);
      await client.request('POST', path, {
        body: {
          apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
          metadata: { namespace, name, labels: { 'app.kubernetes.io/managed-by': 'burstlet' } },
          data: { [SECRET_KEY]: key.toString('base64') },
        },
      });
      return key;
    } catch (err) {
      // Another burstlet created it first: read theirs.
      if (!isAlreadyExists(err)) throw err;
    }
  }
  throw new Error(`could not read or create Secret ${namespace}/${name}`);
}

export interface NodeServiceDirectoryOptions {
  client: KubeClient;
  log: Logger;
  /** The node's credential key (loadOrCreateNodeSecret). */
  secret: Buffer;
  /** True while the pod with this uid is a burst pod of this node (deleted pods are refused). */
  isActivePod(podUid: string): boolean;
}

export interface NodeServiceDirectory {
  /** Mount on the kubelet HTTPS server: `server.on('upgrade', (req, s, h) => directory.handleUpgrade(req, s, h) || ...)`. */
  readonly server: DirectoryServer;
  readonly path: string;
  /** The credential to put in this pod's sidecar (sidecarContainer's `credential`). */
  credentialFor(podUid: string): string;
  /** Call when a burst pod is gone: its sidecar's connection is closed. */
  podGone(podUid: string): void;
  stop(): void;
}

export function startNodeServiceDirectory(opts: NodeServiceDirectoryOptions): NodeServiceDirectory {
  const state = new DirectoryState();
  const server = createDirectoryServer({
    state, log: opts.log, credentials: activePodCredentials(opts.secret, opts.isActivePod),
  });
  // Sidecars that connect before the first lists are held until them (the server waits for sync).
  const watching = watchServiceDirectory(opts.client, state, opts.log);
  watching.catch((err: unknown) => opts.log.error({ err: String(err) }, 'service directory watches failed to start'));
  return {
    server,
    path: DIRECTORY_PATH,
    credentialFor: (uid) => podCredential(opts.secret, uid),
    podGone: (uid) => server.revokePod(uid),
    stop: () => {
      void watching.then((w) => w.stop(), () => {});
      server.close();
    },
  };
}

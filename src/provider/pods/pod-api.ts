// What the pod controller needs of the Kubernetes API: the pods bound to this node (a list and
// watch), their status subresource, and the final delete. An interface so that the controller
// runs on a fake API in its unit tests; kubePodApi is the real one.
import type { KubeClient } from '../../kube/client.ts';
import { isConflict, isNotFound } from '../../kube/errors.ts';
import { kubeSource, type ListWatchSource } from '../../kube/list-watch-cache.ts';
import type { Pod } from '../../kube/wire.ts';

/** A JSON merge patch of pods/{name}/status (see statusPatch). */
export interface PodStatusPatch {
  status?: Record<string, unknown>;
  metadata?: { annotations: Record<string, string> };
}

export interface PodApi {
  /** The pods bound to this node. */
  pods: ListWatchSource<Pod>;
  /** Patches the status subresource; undefined when the pod is gone. */
  patchStatus(namespace: string, name: string, patch: PodStatusPatch): Promise<Pod | undefined>;
  /**
   * Removes the pod object at once (grace 0), only if it is still the pod with `uid`: a new pod
   * of the same name is not ours to delete. Already gone is no error.
   */
  removePod(namespace: string, name: string, uid: string): Promise<void>;
}

export function kubePodApi(client: Pick<KubeClient, 'request' | 'watch'>, nodeName: string): PodApi {
  return {
    pods: kubeSource<Pod>(client, '/api/v1/pods', { fieldSelector: `spec.nodeName=${nodeName}` }),
    async patchStatus(namespace, name, patch) {
      try {
        return await client.request<Pod>('PATCH', `/api/v1/namespaces/${namespace}/pods/${name}/status`, {
          body: patch,
          contentType: 'application/merge-patch+json',
        });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async removePod(namespace, name, uid) {
      try {
        await client.request('DELETE', `/api/v1/namespaces/${namespace}/pods/${name}`, {
          body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid } },
        });
      } catch (err) {
        // Conflict: the uid precondition failed, a new pod of that name exists.
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    },
  };
}

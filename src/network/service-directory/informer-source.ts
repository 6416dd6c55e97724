// The directory's only contact with the apiserver: one watch on Services and one on
// EndpointSlices, cluster-wide, feeding the trimmed objects into the state. However many
// sidecars are connected, the apiserver sees these two watches.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import type { Logger } from '../../log/logger.ts';
import type { KubeClient } from '../../kube/client.ts';
import { informer } from '../../kube/list-watch-cache.ts';
import type { DirectoryState } from './state.ts';
import { trimEndpointSlice, trimService } from './trim.ts';

export interface DirectoryWatch {
  stop(): void;
}

/** Starts both watches; resolves once both initial lists are in the state (then marks it synced). */
export async function watchServiceDirectory(client: KubeClient, state: DirectoryState, log: Logger): Promise<DirectoryWatch> {
  const services = informer<V1Service>(client, '/api/v1/services', {
    onChange: (key, svc) => state.setService(key, svc ? trimService(svc) : null),
    log,
  });
  const slices = informer<V1EndpointSlice>(client, '/apis/discovery.k8s.io/v1/endpointslices', {
    onChange: (key, slice) => state.setSlice(key, slice ? trimEndpointSlice(slice) : null),
    log,
  });
  await Promise.all([services.start(), slices.start()]);
  state.markSynced();
  return {
    stop: () => {
      services.stop();
      slices.stop();
    },
  };
}

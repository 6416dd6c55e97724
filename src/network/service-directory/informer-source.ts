// The directory's only contact with the apiserver: one informer on Services and one on
// EndpointSlices, cluster-wide, feeding the trimmed objects into the state. However many
// sidecars are connected, the apiserver sees these two watches.
import {
  CoreV1Api, DiscoveryV1Api, makeInformer, type Informer, type KubeConfig,
  type KubernetesObject, type V1EndpointSlice, type V1Service,
} from '@kubernetes/client-node';
import type { Logger } from '../../log/logger.ts';
import { objectKey } from './protocol.ts';
import type { DirectoryState } from './state.ts';
import { trimEndpointSlice, trimService } from './trim.ts';

const RESTART_DELAY_MS = 2000;

export interface DirectoryWatch {
  stop(): Promise<void>;
}

function keyOf(obj: KubernetesObject): string {
  return objectKey({ namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '' });
}

function run<T extends KubernetesObject>(
  informer: Informer<T>, what: string, apply: (key: string, obj: T | null) => void, log: Logger, isStopped: () => boolean,
): Promise<void> {
  informer.on('add', (o) => apply(keyOf(o), o));
  informer.on('update', (o) => apply(keyOf(o), o));
  informer.on('delete', (o) => apply(keyOf(o), null));
  informer.on('error', (err: unknown) => {
    if (isStopped()) return;
    log.warn({ err: String(err), what }, 'directory watch failed; restarting');
    setTimeout(() => void informer.start().catch(() => {}), RESTART_DELAY_MS).unref();
  });
  return informer.start();
}

/** Starts both informers; resolves once both initial lists are in the state (then marks it synced). */
export async function watchServiceDirectory(kc: KubeConfig, state: DirectoryState, log: Logger): Promise<DirectoryWatch> {
  const core = kc.makeApiClient(CoreV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  let stopped = false;
  const services = makeInformer<V1Service>(kc, '/api/v1/services', () => core.listServiceForAllNamespaces());
  const slices = makeInformer<V1EndpointSlice>(kc, '/apis/discovery.k8s.io/v1/endpointslices', () =>
    discovery.listEndpointSliceForAllNamespaces(),
  );
  await Promise.all([
    run(services, 'services', (key, o) => state.setService(key, o && trimService(o)), log, () => stopped),
    run(slices, 'endpointslices', (key, o) => state.setSlice(key, o && trimEndpointSlice(o)), log, () => stopped),
  ]);
  state.markSynced();
  return {
    stop: async () => {
      stopped = true;
      await Promise.all([services.stop(), slices.stop()]);
    },
  };
}

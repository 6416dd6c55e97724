// The EndpointSlice controller process loop: watch Services, Pods and the slices it manages,
// and for each affected Service apply `planSlices(desiredSlices(...), existing)`. It waits to
// see its own writes in the watch before planning a Service again, so it never plans against
// a cache that predates them (which would create duplicate slices).
import type { V1EndpointSlice, V1Pod, V1Service } from '@kubernetes/client-node';
import type { Logger } from '../../log/logger.ts';
import { KubeClient, loadKubeConfig } from '../../kube/client.ts';
import { informer, objectKey } from '../../kube/list-watch-cache.ts';
import { WorkQueue } from '../../kube/workqueue.ts';
import { desiredSlices, MANAGED_BY, MANAGED_BY_LABEL, selectorMatches, SERVICE_NAME_LABEL } from './desired.ts';
import { planSlices } from './plan.ts';
import { errorMessage } from '../../log/error-message.ts';

const SLICES_PATH = '/apis/discovery.k8s.io/v1/endpointslices';
/** A write not seen in the watch within this time is no longer waited for. */
const WRITE_VISIBILITY_TIMEOUT_MS = 5_000;

/** Slice name → the resourceVersion we wrote (undefined: deleted), per Service key. */
type Writes = Map<string, { resourceVersion: string | undefined; at: number }>;

function newerOrEqual(seen: string, wrote: string): boolean {
  return seen === wrote || (/^\d+$/.test(seen) && /^\d+$/.test(wrote) && BigInt(seen) >= BigInt(wrote));
}

export async function startEndpointSliceController(kubeconfigPath: string, logger: Logger): Promise<{ stop(): Promise<void> }> {
  const log = logger.child({ component: 'endpointslice-controller' });
  const client = await KubeClient.create(loadKubeConfig(kubeconfigPath));
  const writes = new Map<string, Writes>();
  let synced = false;

  const enqueueServicesFor = (pod: V1Pod | undefined): void => {
    const namespace = pod?.metadata?.namespace;
    if (!pod || !namespace) return;
    for (const service of services.list()) {
      if (service.metadata?.namespace === namespace && selectorMatches(service, pod)) queue.add(objectKey(service));
    }
  };

  /** Whether the slice cache already shows every write made for this Service. */
  const writesVisible = (serviceKey: string): boolean => {
    const pending = writes.get(serviceKey);
    if (!pending) return true;
    const namespace = serviceKey.slice(0, serviceKey.indexOf('/'));
    for (const [name, write] of pending) {
      const seen = slices.get(`${namespace}/${name}`)?.metadata?.resourceVersion;
      const visible = write.resourceVersion === undefined ? seen === undefined : seen !== undefined && newerOrEqual(seen, write.resourceVersion);
      if (visible || performance.now() - write.at > WRITE_VISIBILITY_TIMEOUT_MS) pending.delete(name);
    }
    if (pending.size === 0) writes.delete(serviceKey);
    return pending.size === 0;
  };

  const remember = (serviceKey: string, name: string, resourceVersion: string | undefined): void => {
    let pending = writes.get(serviceKey);
    if (!pending) writes.set(serviceKey, (pending = new Map()));
    pending.set(name, { resourceVersion, at: performance.now() });
  };

  const sync = async (key: string): Promise<void> => {
    if (!writesVisible(key)) {
      queue.addAfter(key, 50);
      return;
    }
    const [namespace, name] = key.split('/') as [string, string];
    const service = services.get(key);
    const existing = slices.list().filter((s) => s.metadata?.namespace === namespace && s.metadata?.labels?.[SERVICE_NAME_LABEL] === name);
    const desired = service ? desiredSlices(service, pods.list()) : [];
    const plan = planSlices(desired, existing);
    const base = `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`;
    for (const slice of plan.update) {
      const stored = await client.request<V1EndpointSlice>('PUT', `${base}/${slice.metadata!.name}`, { body: slice });
      remember(key, stored.metadata!.name!, stored.metadata!.resourceVersion);
    }
    for (const slice of plan.create) {
      const stored = await client.request<V1EndpointSlice>('POST', base, { body: slice });
      remember(key, stored.metadata!.name!, stored.metadata!.resourceVersion);
    }
    for (const slice of plan.delete) {
      await client.request('DELETE', `${base}/${slice.metadata!.name}`);
      remember(key, slice.metadata!.name!, undefined);
    }
    const writesMade = plan.create.length + plan.update.length + plan.delete.length;
    if (writesMade > 0) log.debug({ service: key, created: plan.create.length, updated: plan.update.length, deleted: plan.delete.length }, 'slices reconciled');
  };

  const queue = new WorkQueue(sync, {
    workers: 4,
    onError: (key, err, delayMs) => log.warn({ service: key, err: errorMessage(err), retryInMs: delayMs }, 'endpointslice sync failed'),
  });

  const services = informer<V1Service>(client, '/api/v1/services', {
    onChange: (key) => {
      if (synced) queue.add(key);
    },
    log,
  });
  const pods = informer<V1Pod>(client, '/api/v1/pods', {
    onChange: (_key, pod, previous) => {
      if (!synced) return;
      enqueueServicesFor(pod);
      enqueueServicesFor(previous);
    },
    log,
  });
  const slices = informer<V1EndpointSlice>(client, SLICES_PATH, {
    query: { labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY}` },
    onChange: (_key, slice, previous) => {
      const owner = (slice ?? previous)?.metadata;
      const serviceName = owner?.labels?.[SERVICE_NAME_LABEL];
      if (synced && serviceName) queue.add(`${owner?.namespace}/${serviceName}`);
    },
    log,
  });
  await Promise.all([services.start(), pods.start(), slices.start()]);
  synced = true;
  // Every Service once, and every Service named by a slice (its Service may be gone).
  for (const service of services.list()) queue.add(objectKey(service));
  for (const slice of slices.list()) {
    const serviceName = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (serviceName) queue.add(`${slice.metadata?.namespace}/${serviceName}`);
  }
  log.info('endpointslice controller started');

  return {
    async stop() {
      queue.shutdown();
      services.stop();
      pods.stop();
      slices.stop();
      await client.close();
    },
  };
}

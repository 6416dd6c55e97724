// The scheduler process loop: watch nodes and pods, decide one pending pod at a time with
// `schedule`, bind through pods/{name}/binding, and report pods that fit nowhere the way
// kube-scheduler does (PodScheduled=False + a FailedScheduling event), retrying them with
// backoff whenever the cluster changes.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { Logger } from '../../log/logger.ts';
import { KubeClient, loadKubeConfig } from '../../kube/client.ts';
import { informer, objectKey } from '../../kube/list-watch-cache.ts';
import { backoffDelay, WorkQueue } from '../../kube/workqueue.ts';
import { ClusterState } from '../../scheduling/cluster-state.ts';
import { Reporter } from './report.ts';
import { holdsResources } from '../../scheduling/resources.ts';
import { schedule } from '../../scheduling/schedule.ts';
import { errorMessage } from '../../log/error-message.ts';

export const SCHEDULER_NAME = 'default-scheduler';
/** kube-scheduler's pod backoff: 1 s doubling to 10 s. */
const BACKOFF = { baseMs: 1_000, maxMs: 10_000 };
/** Unschedulable pods are retried at least this often, for changes no event tells about. */
const FLUSH_UNSCHEDULABLE_MS = 60_000;

/** A pod this scheduler should place now. */
export function wantsScheduling(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return (
    !pod.spec?.nodeName &&
    (pod.spec?.schedulerName ?? SCHEDULER_NAME) === SCHEDULER_NAME &&
    !pod.metadata?.deletionTimestamp &&
    (pod.spec?.schedulingGates ?? []).length === 0 &&
    phase !== 'Succeeded' &&
    phase !== 'Failed'
  );
}

/** The node fields filters and scores read; heartbeats that change nothing else are ignored. */
function schedulingView(node: V1Node | undefined): string {
  const ready = node?.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  return JSON.stringify([node?.metadata?.labels, node?.spec?.taints, node?.spec?.unschedulable, node?.status?.allocatable, ready]);
}

/** A change to a pending pod that could change the decision (not our own status writes). */
function specChanged(pod: V1Pod, previous: V1Pod | undefined): boolean {
  if (!previous) return true;
  return JSON.stringify([pod.spec, pod.metadata?.labels]) !== JSON.stringify([previous.spec, previous.metadata?.labels]);
}

export async function startScheduler(kubeconfigPath: string, logger: Logger): Promise<{ stop(): Promise<void> }> {
  const log = logger.child({ component: SCHEDULER_NAME });
  const client = await KubeClient.create(loadKubeConfig(kubeconfigPath));
  const state = new ClusterState();
  const reporter = new Reporter(client, log);
  /** Pending pods that fit nowhere, with their attempt count, retried on cluster changes. */
  const unschedulable = new Map<string, number>();
  // Until both caches hold the first list, decisions would see a partial cluster.
  let synced = false;

  const retryUnschedulable = (): void => {
    for (const [key, attempts] of unschedulable) queue.addAfter(key, backoffDelay(attempts, BACKOFF.baseMs, BACKOFF.maxMs, Math.random));
  };

  const scheduleOne = async (key: string): Promise<void> => {
    const pod = pods.get(key);
    if (!pod || !wantsScheduling(pod) || state.isAssumed(key)) {
      unschedulable.delete(key);
      return;
    }
    const decision = schedule(pod, state.nodeInfos());
    if ('unschedulable' in decision) {
      unschedulable.set(key, (unschedulable.get(key) ?? 0) + 1);
      log.info({ pod: key, reason: decision.unschedulable }, 'pod is unschedulable');
      await reporter.unschedulable(pod, decision.unschedulable);
      return;
    }
    unschedulable.delete(key);
    state.assume(key, pod, decision.node);
    // Bind in the background, as kube-scheduler's binding cycle does: the next pod is decided
    // against the assumed placement without waiting for the API round trip.
    void bind(key, pod, decision.node);
  };

  const bind = async (key: string, pod: V1Pod, node: string): Promise<void> => {
    const { name, namespace, uid } = pod.metadata!;
    try {
      await client.request('POST', `/api/v1/namespaces/${namespace}/pods/${name}/binding`, {
        body: { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace, uid }, target: { apiVersion: 'v1', kind: 'Node', name: node } },
      });
    } catch (err) {
      state.forget(key);
      log.warn({ pod: key, node, err: errorMessage(err) }, 'binding failed; will retry');
      queue.addAfter(key, BACKOFF.baseMs);
      return;
    }
    log.info({ pod: key, node }, 'bound');
    reporter.scheduled(pod, node);
  };

  const queue = new WorkQueue(scheduleOne, {
    workers: 1,
    baseDelayMs: BACKOFF.baseMs,
    maxDelayMs: BACKOFF.maxMs,
    onError: (key, err, delayMs) => log.warn({ pod: key, err: errorMessage(err), retryInMs: delayMs }, 'scheduling attempt failed'),
  });

  const nodes = informer<V1Node>(client, '/api/v1/nodes', {
    onChange: (_key, node, previous) => {
      state.setNode(node?.metadata?.name ?? previous?.metadata?.name ?? '', node);
      if (synced && schedulingView(node) !== schedulingView(previous)) retryUnschedulable();
    },
    log,
  });
  const pods = informer<V1Pod>(client, '/api/v1/pods', {
    onChange: (key, pod, previous) => {
      state.setPod(key, pod);
      if (!synced) return;
      if (pod && wantsScheduling(pod)) {
        if (specChanged(pod, previous)) queue.add(key);
        return;
      }
      unschedulable.delete(key);
      // A pod that left a node (deleted, finished) frees room for the ones waiting.
      if (previous && holdsResources(previous) && !(pod && holdsResources(pod))) retryUnschedulable();
    },
    log,
  });
  await Promise.all([nodes.start(), pods.start()]);
  synced = true;
  for (const pod of pods.list()) if (wantsScheduling(pod)) queue.add(objectKey(pod));
  const flush = setInterval(retryUnschedulable, FLUSH_UNSCHEDULABLE_MS);
  flush.unref();
  log.info('scheduler started');

  return {
    async stop() {
      clearInterval(flush);
      queue.shutdown();
      nodes.stop();
      pods.stop();
      await client.close();
    },
  };
}

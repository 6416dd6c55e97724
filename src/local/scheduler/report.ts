// What the scheduler tells users: the PodScheduled condition and core/v1 Events from
// "default-scheduler", with a repeated FailedScheduling folded into one event's count the way
// the event recorder aggregates them (`kubectl describe`: "(x3 over 2m)").
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { KubeClient } from '../../kube/client.ts';
import { isNotFound } from '../../kube/errors.ts';

const COMPONENT = 'default-scheduler';

function podRef(pod: V1Pod): string {
  return `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}

async function createEvent(client: KubeClient, pod: V1Pod, type: string, reason: string, message: string): Promise<string> {
  const now = new Date().toISOString();
  const namespace = pod.metadata!.namespace!;
  // Real event names are "<object>.<hex timestamp>"; random hex keeps them unique here.
  const name = `${pod.metadata!.name}.${randomBytes(8).toString('hex')}`;
  const event: CoreV1Event = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace },
    involvedObject: {
      apiVersion: 'v1',
      kind: 'Pod',
      name: pod.metadata!.name,
      namespace,
      uid: pod.metadata!.uid,
      resourceVersion: pod.metadata!.resourceVersion,
    },
    reason,
    message,
    type,
    source: { component: COMPONENT },
    count: 1,
    firstTimestamp: now as unknown as Date,
    lastTimestamp: now as unknown as Date,
    reportingComponent: COMPONENT,
    reportingInstance: `${COMPONENT}-${hostname()}`,
  };
  await client.request('POST', `/api/v1/namespaces/${namespace}/events`, { body: event });
  return name;
}

export class Reporter {
  readonly #client: KubeClient;
  /** The last FailedScheduling event per pod uid, so the same message bumps its count. */
  readonly #lastFailure = new Map<string, { name: string; namespace: string; message: string; count: number }>();

  constructor(client: KubeClient) {
    this.#client = client;
  }

  async scheduled(pod: V1Pod, node: string): Promise<void> {
    this.forget(pod.metadata?.uid ?? '');
    await createEvent(this.#client, pod, 'Normal', 'Scheduled', `Successfully assigned ${podRef(pod)} to ${node}`);
  }

  /** Sets PodScheduled=False/Unschedulable (only when it changes) and records FailedScheduling. */
  async unschedulable(pod: V1Pod, message: string): Promise<void> {
    const current = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (current?.status !== 'False' || current.reason !== 'Unschedulable' || current.message !== message) {
      const condition = {
        type: 'PodScheduled',
        status: 'False',
        reason: 'Unschedulable',
        message,
        lastProbeTime: null,
        lastTransitionTime: current?.status === 'False' ? current.lastTransitionTime : new Date().toISOString(),
      };
      await this.#client.request('PATCH', `/api/v1/namespaces/${pod.metadata!.namespace}/pods/${pod.metadata!.name}/status`, {
        body: { status: { conditions: [condition] } },
        contentType: 'application/strategic-merge-patch+json',
      });
    }
    await this.#recordFailure(pod, message);
  }

  /** Forgets what was reported about a pod that is gone or placed. */
  forget(uid: string): void {
    this.#lastFailure.delete(uid);
  }

  async #recordFailure(pod: V1Pod, message: string): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const last = this.#lastFailure.get(uid);
    if (last && last.message === message) {
      try {
        last.count++;
        await this.#client.request('PATCH', `/api/v1/namespaces/${last.namespace}/events/${last.name}`, {
          body: { count: last.count, lastTimestamp: new Date().toISOString() },
          contentType: 'application/merge-patch+json',
        });
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    const name = await createEvent(this.#client, pod, 'Warning', 'FailedScheduling', message);
    this.#lastFailure.set(uid, { name, namespace: pod.metadata!.namespace!, message, count: 1 });
  }
}

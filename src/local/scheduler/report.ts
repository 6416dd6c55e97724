// What the scheduler tells users: the PodScheduled condition and core/v1 Events from
// "default-scheduler", with a repeated FailedScheduling folded into one event's count the way
// the event recorder aggregates them (`kubectl describe`: "(x3 over 2m)").
import type { V1Pod } from '@kubernetes/client-node';
import { hostname } from 'node:os';
import type { Logger } from '../../log/logger.ts';
import { EventRecorder, type EventTarget } from '../../provider/events.ts';
import type { KubeClient } from '../../kube/client.ts';

const COMPONENT = 'default-scheduler';

function podRef(pod: V1Pod): string {
  return `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}

function target(pod: V1Pod): EventTarget {
  return { kind: 'Pod', namespace: pod.metadata!.namespace!, name: pod.metadata!.name!, uid: pod.metadata!.uid! };
}

export class Reporter {
  readonly #client: KubeClient;
  readonly #events: EventRecorder;

  constructor(client: KubeClient, log: Logger) {
    this.#client = client;
    this.#events = new EventRecorder(client, { component: COMPONENT, instance: `${COMPONENT}-${hostname()}` }, log);
  }

  scheduled(pod: V1Pod, node: string): void {
    this.#events.record(target(pod), 'Normal', 'Scheduled', `Successfully assigned ${podRef(pod)} to ${node}`);
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
    // A repeat of the same message is one Event counted again ("(x3 over 2m)").
    this.#events.record(target(pod), 'Warning', 'FailedScheduling', message);
  }

  /** Waits for the events recorded so far to be sent. */
  flush(): Promise<void> {
    return this.#events.flush();
  }
}

// Kubernetes Events as the kubelet posts them (core/v1, source component "kubelet"): a repeat
// of the same event for the same object within ten minutes bumps its count instead of adding
// an object, like client-go's correlator. Posting never blocks or fails the caller: events
// are best-effort, as in the kubelet.
import { createHash } from 'node:crypto';
import type { Logger } from '../log/logger.ts';
import type { KubeClient } from './kube/client.ts';
import { rfc3339 } from './kube/wire.ts';

export interface EventTarget {
  kind: 'Pod' | 'Node';
  namespace: string;
  name: string;
  uid: string;
  /** e.g. spec.containers{web} */
  fieldPath?: string;
}

const REPEAT_WINDOW_MS = 10 * 60_000;

export class EventRecorder {
  readonly #client: KubeClient;
  readonly #node: string;
  readonly #log: Logger;
  readonly #recent = new Map<string, { name: string; namespace: string; count: number; at: number }>();
  readonly #inFlight = new Set<Promise<void>>();

  constructor(client: KubeClient, nodeName: string, log: Logger) {
    this.#client = client;
    this.#node = nodeName;
    this.#log = log;
  }

  record(target: EventTarget, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const p = this.#post(target, type, reason, message).catch((err: Error) => {
      this.#log.debug({ err: err.message, reason }, 'event not recorded');
    });
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
  }

  /** Waits for the events posted so far (for orderly shutdown and tests). */
  async flush(): Promise<void> {
    await Promise.all([...this.#inFlight]);
  }

  async #post(target: EventTarget, type: string, reason: string, message: string): Promise<void> {
    const key = `${target.uid}\0${target.fieldPath ?? ''}\0${type}\0${reason}\0${message}`;
    const now = Date.now();
    const ts = rfc3339(new Date(now));
    this.#prune(now);
    const seen = this.#recent.get(key);
    const ns = target.namespace || 'default';
    if (seen && now - seen.at < REPEAT_WINDOW_MS) {
      seen.count++;
      seen.at = now;
      await this.#client.request('PATCH', `/api/v1/namespaces/${seen.namespace}/events/${seen.name}`, {
        body: { count: seen.count, lastTimestamp: ts },
        contentType: 'application/merge-patch+json',
      });
      return;
    }
    const suffix = createHash('sha256').update(`${key}\0${now}`).digest('hex').slice(0, 16);
    const name = `${target.name}.${suffix}`;
    this.#recent.set(key, { name, namespace: ns, count: 1, at: now });
    await this.#client.request('POST', `/api/v1/namespaces/${ns}/events`, {
      body: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace: ns },
        involvedObject: {
          apiVersion: 'v1',
          kind: target.kind,
          namespace: target.kind === 'Pod' ? target.namespace : undefined,
          name: target.name,
          uid: target.uid,
          ...(target.fieldPath ? { fieldPath: target.fieldPath } : {}),
        },
        reason,
        message,
        type,
        source: { component: 'kubelet', host: this.#node },
        reportingComponent: 'kubelet',
        reportingInstance: this.#node,
        firstTimestamp: ts,
        lastTimestamp: ts,
        count: 1,
      },
    });
  }

  #prune(now: number): void {
    if (this.#recent.size < 4096) return;
    for (const [k, v] of this.#recent) if (now - v.at >= REPEAT_WINDOW_MS) this.#recent.delete(k);
  }
}

// Kubernetes Events as the kubelet posts them (core/v1, source component "kubelet"): a repeat
// of the same event for the same object within ten minutes bumps its count instead of adding
// an object, like client-go's correlator. Posting never blocks or fails the caller: events
// are best-effort, as in the kubelet. They are sent in order, a few at a time, from a queue:
// fired all at once (two per pod at a 1,000-pod burst) they filled the API client's
// connections and the status writes that users wait for queued behind them.
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
/** Event requests in flight at once; the API client's other requests keep the rest of its connections. */
const IN_FLIGHT = 8;

interface EventRequest {
  method: 'POST' | 'PATCH';
  path: string;
  body: unknown;
  contentType?: string;
  reason: string;
}

export class EventRecorder {
  readonly #client: Pick<KubeClient, 'request'>;
  readonly #node: string;
  readonly #component: string;
  readonly #log: Logger;
  readonly #recent = new Map<string, { name: string; namespace: string; count: number; at: number }>();
  readonly #queue: EventRequest[] = [];
  #inFlight = 0;
  #flushWaiters: (() => void)[] = [];

  /** `component`: the source `kubectl describe` names ("kubelet" for the node's own events). */
  constructor(client: Pick<KubeClient, 'request'>, nodeName: string, log: Logger, component = 'kubelet') {
    this.#client = client;
    this.#node = nodeName;
    this.#component = component;
    this.#log = log;
  }

  record(target: EventTarget, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.#queue.push(this.#request(target, type, reason, message));
    this.#pump();
  }

  /** Waits for the events recorded so far to be sent (for orderly shutdown and tests). */
  flush(): Promise<void> {
    if (this.#inFlight === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#flushWaiters.push(resolve));
  }

  #pump(): void {
    while (this.#inFlight < IN_FLIGHT) {
      const req = this.#queue.shift();
      if (!req) break;
      this.#inFlight++;
      void this.#client
        .request(req.method, req.path, { body: req.body, ...(req.contentType ? { contentType: req.contentType } : {}) })
        .catch((err: Error) => this.#log.debug({ err: err.message, reason: req.reason }, 'event not recorded'))
        .finally(() => {
          this.#inFlight--;
          this.#pump();
        });
    }
    if (this.#inFlight === 0 && this.#queue.length === 0) {
      const waiters = this.#flushWaiters;
      this.#flushWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** The request for one occurrence, decided when it is recorded (a repeat bumps the first one's count). */
  #request(target: EventTarget, type: string, reason: string, message: string): EventRequest {
    const key = `${target.uid}\0${target.fieldPath ?? ''}\0${type}\0${reason}\0${message}`;
    const now = Date.now();
    const ts = rfc3339(new Date(now));
    this.#prune(now);
    const seen = this.#recent.get(key);
    const ns = target.namespace || 'default';
    if (seen && now - seen.at < REPEAT_WINDOW_MS) {
      seen.count++;
      seen.at = now;
      return {
        method: 'PATCH',
        path: `/api/v1/namespaces/${seen.namespace}/events/${seen.name}`,
        body: { count: seen.count, lastTimestamp: ts },
        contentType: 'application/merge-patch+json',
        reason,
      };
    }
    const suffix = createHash('sha256').update(`${key}\0${now}`).digest('hex').slice(0, 16);
    const name = `${target.name}.${suffix}`;
    this.#recent.set(key, { name, namespace: ns, count: 1, at: now });
    return {
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/events`,
      reason,
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
        source: { component: this.#component, host: this.#node },
        reportingComponent: this.#component,
        reportingInstance: this.#node,
        firstTimestamp: ts,
        lastTimestamp: ts,
        count: 1,
      },
    };
  }

  #prune(now: number): void {
    if (this.#recent.size < 4096) return;
    for (const [k, v] of this.#recent) if (now - v.at >= REPEAT_WINDOW_MS) this.#recent.delete(k);
  }
}

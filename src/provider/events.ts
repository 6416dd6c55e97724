// Kubernetes Events (core/v1) as client-go's event recorder posts them, for any component (the
// kubelet, the embedded control plane's controllers): the same event for the same object
// within ten minutes is one Event whose count and lastTimestamp are updated (kubectl describe:
// "(x5 over 2m)"), and after ten different messages of the same reason for the same object the
// rest are combined into one "(combined from similar events)" Event, as client-go's correlator
// does. Posting never blocks or fails the caller: events are best-effort. Writes go from a queue,
// a few at a time, one at a time per Event (a repeat waits for its Event's creation and is
// folded into one update), and an update whose Event is gone (expired) creates it again.
// Writes may be rate limited as the kubelet's are (--event-qps, --event-burst): in a burst of
// pods the API server's time goes to pod creations and statuses first, the events follow.
import { createHash } from 'node:crypto';
import type { Logger } from '../log/logger.ts';
import type { KubeClient } from '../kube/client.ts';
import { isAlreadyExists, isNotFound } from '../kube/errors.ts';
import { rfc3339 } from '../kube/wire.ts';
import { errorMessage } from '../log/error-message.ts';

export interface EventTarget {
  /** Defaults to v1. */
  apiVersion?: string;
  kind: string;
  /** '' for a cluster-scoped object (a Node): its events go to the default namespace. */
  namespace: string;
  name: string;
  uid: string;
  /** e.g. spec.containers{web} */
  fieldPath?: string;
}

/** Who reports: source.component and reportingComponent ("kubelet", "deployment-controller"), its host, and reportingInstance (default: the host). */
export interface EventSource {
  component: string;
  host?: string;
  instance?: string;
}

export const REPEAT_WINDOW_MS = 10 * 60_000;
/** Distinct messages of one reason for one object before the rest are combined (client-go's maxSimilarEvents). */
export const MAX_SIMILAR_EVENTS = 10;
export const COMBINED_PREFIX = '(combined from similar events): ';
/** Event requests in flight at once; the API client's other requests keep the rest of its connections. */
const IN_FLIGHT = 8;
const MAX_REMEMBERED = 4096;

interface Entry {
  name: string;
  namespace: string;
  body: Record<string, unknown>;
  count: number;
  lastTimestamp: string;
  at: number;
  created: boolean;
  sending: boolean;
  queued: boolean;
}

/** A token bucket of event writes: `qps` a second, up to `burst` at once; qps 0 = no limit. */
export interface EventRate {
  qps: number;
  burst: number;
}

export class EventRecorder {
  readonly #client: Pick<KubeClient, 'request'>;
  readonly #source: EventSource;
  readonly #log: Logger;
  readonly #entries = new Map<string, Entry>();
  /** Per object and reason: the distinct messages seen in the window, and when. */
  readonly #similar = new Map<string, Map<string, number>>();
  readonly #queue: Entry[] = [];
  readonly #now: () => number;
  #inFlight = 0;
  #flushWaiters: (() => void)[] = [];
  readonly #rate: EventRate | undefined;
  #tokens = 0;
  #refilledAt = 0;
  #refill: NodeJS.Timeout | undefined;

  /** `now` is injectable so that tests can show repeats spread over minutes. */
  constructor(client: Pick<KubeClient, 'request'>, source: EventSource, log: Logger, now: () => number = Date.now, rate?: EventRate) {
    this.#client = client;
    this.#source = source;
    this.#log = log;
    this.#now = now;
    if (rate && rate.qps > 0) {
      this.#rate = rate;
      this.#tokens = Math.max(1, rate.burst);
      this.#refilledAt = now();
    }
  }

  /** Takes a write's token from the bucket; false (and a pump scheduled for the next token) when empty. */
  #takeToken(): boolean {
    const rate = this.#rate;
    if (!rate) return true;
    const now = this.#now();
    this.#tokens = Math.min(Math.max(1, rate.burst), this.#tokens + ((now - this.#refilledAt) * rate.qps) / 1000);
    this.#refilledAt = now;
    if (this.#tokens >= 1) {
      this.#tokens--;
      return true;
    }
    this.#refill ??= setTimeout(() => {
      this.#refill = undefined;
      this.#pump();
    }, Math.ceil(((1 - this.#tokens) * 1000) / rate.qps));
    this.#refill.unref();
    return false;
  }

  record(target: EventTarget, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const now = this.#now();
    this.#prune(now);
    const object = `${target.uid}\0${target.fieldPath ?? ''}\0${type}\0${reason}`;
    let text = message;
    let key = `${object}\0${message}`;
    if (!this.#entries.has(key) && this.#tooManySimilar(object, message, now)) {
      text = COMBINED_PREFIX + message;
      key = `${object}\0${COMBINED_PREFIX}`;
    }
    const ts = rfc3339(new Date(now));
    const seen = this.#entries.get(key);
    if (seen && now - seen.at < REPEAT_WINDOW_MS) {
      seen.count++;
      seen.lastTimestamp = ts;
      seen.at = now;
      // The combined event shows the latest message (client-go updates it too).
      seen.body.message = text;
      this.#enqueue(seen);
      return;
    }
    const entry = this.#newEntry(target, type, reason, text, key, now, ts);
    this.#entries.set(key, entry);
    this.#enqueue(entry);
  }

  /** Waits for the events recorded so far to be sent (for orderly shutdown and tests). */
  flush(): Promise<void> {
    if (this.#inFlight === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#flushWaiters.push(resolve));
  }

  #tooManySimilar(object: string, message: string, now: number): boolean {
    let messages = this.#similar.get(object);
    if (!messages) this.#similar.set(object, (messages = new Map()));
    for (const [m, at] of messages) if (now - at >= REPEAT_WINDOW_MS) messages.delete(m);
    if (messages.has(message) || messages.size < MAX_SIMILAR_EVENTS) {
      messages.set(message, now);
      return false;
    }
    return true;
  }

  #newEntry(target: EventTarget, type: string, reason: string, message: string, key: string, now: number, ts: string): Entry {
    const namespace = target.namespace || 'default';
    const name = `${target.name}.${createHash('sha256').update(`${key}\0${now}`).digest('hex').slice(0, 16)}`;
    const body = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: target.apiVersion ?? 'v1',
        kind: target.kind,
        ...(target.namespace ? { namespace: target.namespace } : {}),
        name: target.name,
        uid: target.uid,
        ...(target.fieldPath ? { fieldPath: target.fieldPath } : {}),
      },
      reason,
      message,
      type,
      source: { component: this.#source.component, ...(this.#source.host ? { host: this.#source.host } : {}) },
      reportingComponent: this.#source.component,
      reportingInstance: this.#source.instance ?? this.#source.host ?? '',
      firstTimestamp: ts,
    };
    return { name, namespace, body, count: 1, lastTimestamp: ts, at: now, created: false, sending: false, queued: false };
  }

  #enqueue(entry: Entry): void {
    if (!entry.queued) {
      entry.queued = true;
      this.#queue.push(entry);
    }
    this.#pump();
  }

  #pump(): void {
    for (let i = 0; i < this.#queue.length && this.#inFlight < IN_FLIGHT;) {
      const entry = this.#queue[i]!;
      // One write at a time per Event: a repeat waits, then goes as one update.
      if (entry.sending) {
        i++;
        continue;
      }
      if (!this.#takeToken()) break;
      this.#queue.splice(i, 1);
      entry.queued = false;
      entry.sending = true;
      this.#inFlight++;
      void this.#send(entry).finally(() => {
        entry.sending = false;
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

  async #send(entry: Entry): Promise<void> {
    const base = `/api/v1/namespaces/${entry.namespace}/events`;
    try {
      if (entry.created) {
        await this.#client.request('PATCH', `${base}/${entry.name}`, {
          body: { count: entry.count, lastTimestamp: entry.lastTimestamp, message: entry.body.message },
          contentType: 'application/merge-patch+json',
        });
      } else {
        await this.#client.request('POST', base, { body: { ...entry.body, count: entry.count, lastTimestamp: entry.lastTimestamp } });
        entry.created = true;
      }
    } catch (err) {
      if (isNotFound(err) && entry.created) {
        // The Event expired (or was deleted): create it again with what is known, as client-go does.
        entry.created = false;
        this.#enqueue(entry);
        return;
      }
      if (isAlreadyExists(err) && !entry.created) {
        entry.created = true;
        this.#enqueue(entry);
        return;
      }
      this.#log.debug({ err: errorMessage(err), reason: entry.body.reason }, 'event not recorded');
    }
  }

  #prune(now: number): void {
    if (this.#entries.size < MAX_REMEMBERED) return;
    for (const [k, v] of this.#entries) if (now - v.at >= REPEAT_WINDOW_MS && !v.sending && !v.queued) this.#entries.delete(k);
    for (const [k, messages] of this.#similar) {
      for (const [m, at] of messages) if (now - at >= REPEAT_WINDOW_MS) messages.delete(m);
      if (messages.size === 0) this.#similar.delete(k);
    }
  }
}

// The mock's pod API semantics: admission (validation, idempotency by the Kubernetes pod uid,
// quota, IPs), the link between stored objects and running pods, and graceful deletion. A
// pod's status changes are batched per event-loop turn, so a burst of container changes
// becomes one MODIFIED event per pod.
import { randomUUID } from 'node:crypto';
import { errorMessage } from '../log/error-message.ts';
import type { Logger } from '../log/logger.ts';
import type { PodRunner } from './runtime/pod.ts';
import type { Runtime } from './runtime/runtime.ts';
import { annotations, type CciPod, type CciPodStats } from '../cci/types.ts';
import { addUsage, podUsage, quotaExceeded, validatePod, ZERO_USAGE, type Usage } from './admission.ts';
import type { MockNetworks } from './networks.ts';
import { badRequest, CciApiError, notFound } from './status.ts';
import type { PodStore } from './store.ts';

interface Entry {
  runner: PodRunner;
  network: string;
  ip: string;
  usage: Usage;
  /** Terminal pods stop counting against the quota. */
  counted: boolean;
  lastStatus: string;
  deleting: boolean;
}

export class PodService {
  readonly namespace: string;
  readonly hard: Usage;
  readonly #store: PodStore;
  readonly #networks: MockNetworks;
  readonly #runtime: Runtime;
  readonly #log: Logger;
  readonly #entries = new Map<string, Entry>();
  readonly #byUID = new Map<string, string>();
  #used: Usage = ZERO_USAGE;
  readonly #dirty = new Set<string>();
  #flushScheduled = false;

  constructor(opts: { namespace: string; hard: Usage; store: PodStore; networks: MockNetworks; runtime: Runtime; log: Logger }) {
    this.namespace = opts.namespace;
    this.hard = opts.hard;
    this.#store = opts.store;
    this.#networks = opts.networks;
    this.#runtime = opts.runtime;
    this.#log = opts.log;
  }

  get used(): Usage {
    return this.#used;
  }

  runner(name: string): PodRunner {
    const e = this.#entries.get(name);
    if (!e) throw notFound(name);
    return e.runner;
  }

  create(body: CciPod): CciPod {
    if (typeof body !== 'object' || body === null) throw badRequest('the request body must be a Pod object');
    if (body.metadata?.namespace && body.metadata.namespace !== this.namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const errs = validatePod(body);
    if (errs.length > 0) throw new CciApiError(422, 'Invalid', `Pod "${body.metadata?.name ?? ''}" is invalid: ${errs.join(', ')}`, { name: body.metadata?.name, kind: 'pods' });
    const name = body.metadata.name;
    const key = body.metadata.annotations?.[annotations.podUID];
    const existing = key === undefined ? this.#store.get(name) : (this.#store.get(this.#byUID.get(key) ?? '') ?? this.#store.get(name));
    if (existing) {
      throw new CciApiError(409, 'AlreadyExists', `pods "${existing.metadata.name}" already exists`, { name: existing.metadata.name, kind: 'pods', uid: existing.metadata.uid });
    }
    const network = this.#networks.forPod(body);
    const usage = podUsage(body);
    const over = quotaExceeded(this.hard, this.#used, usage);
    if (over) throw new CciApiError(403, 'Forbidden', `pods "${name}" is forbidden: ${over}`, { name, kind: 'pods' });
    const ip = this.#networks.allocate(network, name);
    const pod: CciPod = {
      apiVersion: 'cci/v2',
      kind: 'Pod',
      metadata: {
        name,
        namespace: this.namespace,
        uid: randomUUID(),
        creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        ...(body.metadata.labels ? { labels: body.metadata.labels } : {}),
        ...(body.metadata.annotations ? { annotations: body.metadata.annotations } : {}),
      },
      spec: body.spec,
    };
    this.#used = addUsage(this.#used, usage);
    const runner = this.#runtime.runPod(pod, network, ip, () => this.#markDirty(name));
    const status = runner.status();
    this.#entries.set(name, { runner, network, ip, usage, counted: true, lastStatus: JSON.stringify(status), deleting: false });
    if (key !== undefined) this.#byUID.set(key, name);
    return this.#store.put({ ...pod, status }, 'ADDED');
  }

  /** The pod just created, as its creation answers it: once the runtime settled its start (see Runtime.settled). */
  async settled(created: CciPod): Promise<CciPod> {
    const name = created.metadata.name;
    const entry = this.#entries.get(name);
    if (!entry || !(await this.#runtime.settled(entry.runner))) return created;
    this.#dirty.add(name);
    this.#flush();
    return this.#store.get(name) ?? created;
  }

  get(name: string): CciPod {
    const pod = this.#store.get(name);
    if (!pod) throw notFound(name);
    return pod;
  }

  /** Starts a graceful deletion; the object goes away once its processes are gone. */
  delete(name: string, graceSeconds: number | undefined): CciPod {
    const entry = this.#entries.get(name);
    const pod = this.#store.get(name);
    if (!entry || !pod) throw notFound(name);
    if (entry.deleting) return pod;
    entry.deleting = true;
    const grace = graceSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
    const marked = this.#store.put(
      { ...pod, metadata: { ...pod.metadata, deletionTimestamp: new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d+Z$/, 'Z'), deletionGracePeriodSeconds: grace } },
      'MODIFIED',
    );
    void this.#runtime
      .deletePod(entry.runner, grace)
      .catch((err: unknown) => this.#log.error({ pod: name, err: errorMessage(err) }, 'pod teardown failed'))
      .finally(() => this.#forget(name, entry));
    return marked;
  }

  #forget(name: string, entry: Entry): void {
    this.#networks.release(entry.network, entry.ip);
    if (entry.counted) this.#used = addUsage(this.#used, entry.usage, -1n);
    const key = entry.runner.pod.metadata.annotations?.[annotations.podUID];
    if (key !== undefined && this.#byUID.get(key) === name) this.#byUID.delete(key);
    this.#entries.delete(name);
    this.#dirty.delete(name);
    this.#store.delete(name);
  }

  #markDirty(name: string): void {
    this.#dirty.add(name);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    for (const name of this.#dirty) {
      const entry = this.#entries.get(name);
      const pod = this.#store.get(name);
      if (!entry || !pod) continue;
      const status = entry.runner.status();
      const text = JSON.stringify(status);
      if (text === entry.lastStatus) continue;
      entry.lastStatus = text;
      if (entry.counted && (status.phase === 'Succeeded' || status.phase === 'Failed')) {
        entry.counted = false;
        this.#used = addUsage(this.#used, entry.usage, -1n);
      }
      this.#store.put({ ...pod, status }, 'MODIFIED');
    }
    this.#dirty.clear();
  }

  async stats(): Promise<CciPodStats[]> {
    return Promise.all([...this.#entries.values()].map((e) => this.#runtime.stats(e.runner)));
  }
}

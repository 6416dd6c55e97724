// The CCI pods of this node's namespace, kept current by list + watch: the watch resumes from
// the last resourceVersion, and any disconnect or 410 Gone leads to a relist (which also
// reports pods that vanished meanwhile). `resync()` relists on demand (the periodic resync).
import type { CciPod, CciStatus } from '../cci/types.ts';
import type { Logger } from '../log/logger.ts';
import type { CciPodsBackend } from './cci-backend.ts';
import { backoffDelay } from '../kube/workqueue.ts';
import { errorMessage } from '../log/error-message.ts';

export type CciChangeHandler = (name: string, pod: CciPod | undefined, previous: CciPod | undefined) => void;

export class CciPodCache {
  readonly #backend: CciPodsBackend;
  readonly #onChange: CciChangeHandler;
  readonly #log: Logger;
  readonly #pods = new Map<string, CciPod>();
  #abort = new AbortController();
  #watchAbort = new AbortController();
  #synced!: () => void;
  readonly #firstSync = new Promise<void>((resolve) => (this.#synced = resolve));

  readonly #onError: (err: unknown) => void;

  /** `onError` hears every failed list or watch (for the CCI error metric). */
  constructor(backend: CciPodsBackend, onChange: CciChangeHandler, log: Logger, onError: (err: unknown) => void = () => undefined) {
    this.#onError = onError;
    this.#backend = backend;
    this.#onChange = onChange;
    this.#log = log;
  }

  get(name: string): CciPod | undefined {
    return this.#pods.get(name);
  }

  list(): CciPod[] {
    return [...this.#pods.values()];
  }

  get size(): number {
    return this.#pods.size;
  }

  /** Records what a create or get returned, ahead of the watch (newer resourceVersions win). */
  remember(pod: CciPod): void {
    this.#apply(pod);
  }

  /** Drops a pod CCI said is gone (404) before the watch told. */
  forget(name: string): void {
    const previous = this.#pods.get(name);
    if (!previous) return;
    this.#pods.delete(name);
    this.#onChange(name, undefined, previous);
  }

  /** Starts list + watch; resolves after the first list. */
  start(): Promise<void> {
    void this.#loop();
    return this.#firstSync;
  }

  stop(): void {
    this.#abort.abort();
    this.#watchAbort.abort();
  }

  /** Ends the current watch so the loop relists now. */
  resync(): void {
    this.#watchAbort.abort();
  }

  async #loop(): Promise<void> {
    let failures = 0;
    while (!this.#abort.signal.aborted) {
      this.#watchAbort = new AbortController();
      try {
        const list = await this.#backend.listPods();
        this.#replace(list.items, list.metadata.resourceVersion);
        this.#synced();
        failures = 0;
        await this.#backend.watchPods(list.metadata.resourceVersion, (event) => this.#event(event), this.#watchAbort.signal);
      } catch (err) {
        if (this.#abort.signal.aborted) return;
        if (this.#watchAbort.signal.aborted) continue; // resync requested
        failures++;
        const delay = backoffDelay(failures, 200, 10_000, Math.random);
        this.#onError(err);
        this.#log.warn({ err: errorMessage(err), retryInMs: delay }, 'CCI pod list/watch failed; relisting');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  #event(event: { type: string; object: CciPod | CciStatus }): void {
    if (event.type === 'ERROR' || event.object.kind === 'Status') {
      // 410 Gone or any other watch error: end this watch; the loop relists.
      this.#watchAbort.abort();
      return;
    }
    const pod = event.object;
    if (event.type === 'BOOKMARK') return;
    if (event.type === 'DELETED') {
      const previous = this.#pods.get(pod.metadata.name);
      this.#pods.delete(pod.metadata.name);
      this.#onChange(pod.metadata.name, undefined, previous ?? pod);
    } else {
      this.#apply(pod);
    }
  }

  #apply(pod: CciPod): void {
    const name = pod.metadata.name;
    const previous = this.#pods.get(name);
    if (previous && olderOrSame(pod, previous)) return;
    this.#pods.set(name, pod);
    this.#onChange(name, pod, previous);
  }

  #replace(items: CciPod[], listVersion: string): void {
    const seen = new Set<string>();
    for (const pod of items) {
      seen.add(pod.metadata.name);
      this.#apply(pod);
    }
    for (const [name, previous] of this.#pods) {
      // Not listed, but created after the list was taken (remembered from its create): keep.
      if (seen.has(name) || Number(previous.metadata.resourceVersion) > Number(listVersion)) continue;
      this.#pods.delete(name);
      this.#onChange(name, undefined, previous);
    }
  }
}

/** resourceVersions are opaque in general; the mock's (and CCI's) are integers, compared as such. */
function olderOrSame(a: CciPod, b: CciPod): boolean {
  const ra = Number(a.metadata.resourceVersion);
  const rb = Number(b.metadata.resourceVersion);
  if (!Number.isFinite(ra) || !Number.isFinite(rb)) return a.metadata.resourceVersion === b.metadata.resourceVersion;
  return ra <= rb;
}

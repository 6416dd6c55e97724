// A collection watched once the API server serves it. Without it (the ScheduleProfile CRD not
// applied yet; workload kinds on the embedded control plane, which serves none) the feature that
// reads it is off: said once in the log, and the collection looked for again every minute.
import type { Logger } from '../log/logger.ts';
import type { KubeClient } from '../kube/client.ts';
import { isNotFound } from '../kube/errors.ts';
import type { CachedObject, ChangeHandler, ListWatchCache } from '../kube/list-watch-cache.ts';
import { errorMessage } from '../log/error-message.ts';
import { projectedCache } from './informers.ts';
import type { Clock } from '../kube/clock.ts';

const PROBE_MS = 60_000;

export interface OptionalWatchOptions<T extends CachedObject> {
  kube: Pick<KubeClient, 'request' | 'watch'>;
  path: string;
  project: (raw: never) => T;
  onChange: ChangeHandler<T>;
  /** What is off while the collection is missing, for the log. */
  missing: string;
  clock: Clock;
  log: Logger;
}

export class OptionalWatch<T extends CachedObject> {
  readonly #o: OptionalWatchOptions<T>;
  #reflector: ListWatchCache<T> | undefined;
  #cancel: (() => void) | undefined;
  #stopped = false;

  constructor(o: OptionalWatchOptions<T>) {
    this.#o = o;
  }

  /** The API server serves the collection (it is being watched). */
  get active(): boolean {
    return this.#reflector !== undefined;
  }

  list(): T[] {
    return this.#reflector?.list() ?? [];
  }

  /** Resolves once the collection is listed, or once it is known not to be served. */
  async start(): Promise<void> {
    try {
      await this.#o.kube.request('GET', this.#o.path, { query: { limit: '1' } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.#o.log.warn({ path: this.#o.path }, `not served by the API server: ${this.#o.missing}`);
      this.#retry();
      return;
    }
    if (this.#stopped) return;
    this.#reflector = projectedCache(this.#o.kube, this.#o.path, this.#o.project, this.#o.onChange, this.#o.log);
    await this.#reflector.start();
  }

  #retry(): void {
    if (this.#stopped) return;
    this.#cancel = this.#o.clock.after(PROBE_MS, () => {
      this.start().catch((err: unknown) => {
        this.#o.log.warn({ path: this.#o.path, err: errorMessage(err) }, 'not listed');
        this.#retry();
      });
    });
  }

  stop(): void {
    this.#stopped = true;
    this.#cancel?.();
    this.#reflector?.stop();
  }
}

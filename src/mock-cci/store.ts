// The mock's pod store: objects with a global resourceVersion, and a watch history from which
// watchers resume. Each change is serialised once and the same line goes to every watcher, so
// fan-out costs one string write per watcher. Resuming from a version older than the history
// gives 410 Gone, as in Kubernetes.
import type { CciPod, CciWatchEvent } from '../cci/types.ts';

const HISTORY = 20_000;

export type WatchListener = (line: string) => void;

export class PodStore {
  #rv = 0;
  readonly #pods = new Map<string, CciPod>();
  readonly #history: { rv: number; line: string }[] = [];
  #historyStart = 0;
  /** The newest version no longer in the history: watches from before it are Gone. */
  #compactedRV = 0;
  readonly #watchers = new Set<WatchListener>();

  get resourceVersion(): string {
    return String(this.#rv);
  }

  get(name: string): CciPod | undefined {
    return this.#pods.get(name);
  }

  /** The oldest version a watch (or a list's continue token) may still resume from. */
  get oldestResumable(): number {
    return this.#compactedRV;
  }

  list(): CciPod[] {
    return [...this.#pods.values()];
  }

  get size(): number {
    return this.#pods.size;
  }

  /** Stores the object with the next resourceVersion and tells watchers. */
  put(pod: CciPod, type: 'ADDED' | 'MODIFIED'): CciPod {
    const stored = this.#stamp(pod);
    this.#pods.set(pod.metadata.name, stored);
    this.#emit({ type, object: stored });
    return stored;
  }

  delete(name: string): void {
    const pod = this.#pods.get(name);
    if (!pod) return;
    this.#pods.delete(name);
    this.#emit({ type: 'DELETED', object: this.#stamp(pod) });
  }

  #stamp(pod: CciPod): CciPod {
    this.#rv++;
    return { ...pod, metadata: { ...pod.metadata, resourceVersion: String(this.#rv) } };
  }

  #emit(event: CciWatchEvent): void {
    const line = JSON.stringify(event) + '\n';
    this.#history.push({ rv: this.#rv, line });
    if (this.#history.length - this.#historyStart > HISTORY) {
      this.#compactedRV = this.#history[this.#historyStart]!.rv;
      this.#historyStart++;
      if (this.#historyStart > HISTORY) {
        this.#history.splice(0, this.#historyStart);
        this.#historyStart = 0;
      }
    }
    for (const w of this.#watchers) w(line);
  }

  /**
   * Starts a watch: without a version (or "0") the current objects come first as ADDED; with
   * one, every change after it. Returns null when the version is too old (410 Gone).
   */
  watch(fromRV: string | undefined, listener: WatchListener): { initial: string[]; stop: () => void } | null {
    let initial: string[];
    if (fromRV === undefined || fromRV === '' || fromRV === '0') {
      initial = this.list().map((object) => JSON.stringify({ type: 'ADDED', object }) + '\n');
    } else {
      const rv = Number(fromRV);
      if (!Number.isInteger(rv) || rv < this.#compactedRV) return null;
      initial = [];
      for (let i = this.#history.length - 1; i >= this.#historyStart && this.#history[i]!.rv > rv; i--) initial.push(this.#history[i]!.line);
      initial.reverse();
    }
    this.#watchers.add(listener);
    return { initial, stop: () => this.#watchers.delete(listener) };
  }

  bookmarkLine(): string {
    return JSON.stringify({ type: 'BOOKMARK', object: { apiVersion: 'cci/v2', kind: 'Pod', metadata: { resourceVersion: this.resourceVersion } } }) + '\n';
  }
}

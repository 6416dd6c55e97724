// An in-memory API server for the pods of one node, as the pod controller sees it (PodApi):
// a list and a resumable watch, the status subresource (merge patch), and the final delete
// with its uid precondition. Tests change pods through it as users and the scheduler would.
import { KubeError } from '../../../src/kube/client.ts';
import type { WatchEventType } from '../../../src/kube/list-watch-cache.ts';
import type { Pod } from '../../../src/kube/wire.ts';
import type { PodApi, PodStatusPatch } from '../../../src/provider/pods/pod-api.ts';

type Listener = (type: WatchEventType, pod: Pod) => void;

export class FakePodApi implements PodApi {
  #rv = 0;
  readonly #pods = new Map<string, Pod>();
  readonly #history: { rv: number; type: WatchEventType; pod: Pod }[] = [];
  readonly #listeners = new Set<Listener>();
  /** Every status patch, in order, by pod key. */
  readonly patches: { key: string; patch: PodStatusPatch }[] = [];
  /** When true, a status write's watch event comes after its response, as a real API server's usually does. */
  echoAfterResponse = false;
  /** When set, patchStatus waits for it before writing. */
  gate: Promise<void> | undefined;
  /** Every final delete asked for, by pod key (a real API server answers a repeat with 404). */
  readonly removals: string[] = [];
  /** When true, a final delete's DELETED watch event waits for releaseDeletions() (a slow watch). */
  holdDeletedEvents = false;
  readonly #heldEvents: Pod[] = [];

  readonly pods = {
    list: async () => ({ items: [...this.#pods.values()].map(clone), resourceVersion: String(this.#rv) }),
    watch: (resourceVersion: string, onEvent: Listener, signal: AbortSignal): Promise<void> => {
      for (const e of this.#history) if (e.rv > Number(resourceVersion)) onEvent(e.type, clone(e.pod));
      const listener: Listener = (type, pod) => onEvent(type, clone(pod));
      this.#listeners.add(listener);
      return new Promise((resolve) => signal.addEventListener('abort', () => {
        this.#listeners.delete(listener);
        resolve();
      }));
    },
  };

  get(key: string): Pod | undefined {
    const pod = this.#pods.get(key);
    return pod && clone(pod);
  }

  /** A pod bound to the node, as the scheduler leaves it. */
  create(name: string, uid: string, spec: Pod['spec'] = { containers: [{ name: 'c', image: 'busybox' }] }): Pod {
    return this.#put({ metadata: { namespace: 'ns', name, uid }, spec: { nodeName: 'node-1', ...spec } }, 'ADDED');
  }

  update(key: string, change: (pod: Pod) => void): Pod {
    const pod = clone(this.#pods.get(key)!);
    change(pod);
    return this.#put(pod, 'MODIFIED');
  }

  /** kubectl delete: sets deletionTimestamp and the grace period. */
  markDeleted(key: string, graceSeconds: number): Pod {
    return this.update(key, (p) => {
      p.metadata!.deletionTimestamp = '2026-01-01T00:00:00Z';
      p.metadata!.deletionGracePeriodSeconds = graceSeconds;
    });
  }

  async patchStatus(namespace: string, name: string, patch: PodStatusPatch): Promise<Pod | undefined> {
    await this.gate;
    const key = `${namespace}/${name}`;
    this.patches.push({ key, patch });
    const pod = this.#pods.get(key);
    if (!pod) return undefined;
    const next = clone(pod);
    next.status = mergePatch(next.status ?? {}, patch.status ?? {}) as Pod['status'];
    if (patch.metadata) next.metadata!.annotations = { ...next.metadata!.annotations, ...patch.metadata.annotations };
    return this.#put(next, 'MODIFIED', this.echoAfterResponse);
  }

  async removePod(namespace: string, name: string, uid: string): Promise<void> {
    const key = `${namespace}/${name}`;
    this.removals.push(key);
    const pod = this.#pods.get(key);
    if (!pod) return;
    if (pod.metadata?.uid !== uid) throw new KubeError(409, 'Conflict', 'uid precondition failed');
    this.#pods.delete(key);
    const deleted = { ...pod, metadata: { ...pod.metadata, resourceVersion: String(++this.#rv) } };
    if (this.holdDeletedEvents) this.#heldEvents.push(deleted);
    else this.#emit('DELETED', deleted);
  }

  /** Sends the DELETED events held back by holdDeletedEvents. */
  releaseDeletions(): void {
    for (const pod of this.#heldEvents.splice(0)) this.#emit('DELETED', pod);
  }

  #put(pod: Pod, type: WatchEventType, later = false): Pod {
    const stored = { ...pod, metadata: { ...pod.metadata, resourceVersion: String(++this.#rv) } };
    this.#pods.set(`${stored.metadata.namespace}/${stored.metadata.name}`, stored);
    this.#emit(type, stored, later);
    return clone(stored);
  }

  #emit(type: WatchEventType, pod: Pod, later = false): void {
    this.#history.push({ rv: this.#rv, type, pod });
    const notify = (): void => {
      for (const l of this.#listeners) l(type, pod);
    };
    if (later) setImmediate(notify);
    else notify();
  }
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** RFC 7386: null deletes, objects merge, anything else replaces. */
function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (typeof v === 'object' && !Array.isArray(v) && typeof out[k] === 'object' && out[k] !== null && !Array.isArray(out[k])) {
      out[k] = mergePatch(out[k] as Record<string, unknown>, v as Record<string, unknown>);
    } else out[k] = v;
  }
  return out;
}

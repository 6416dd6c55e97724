// The seam between the generic pod controller and whatever runs the pods (CCI, or an in-memory
// fake in tests), after virtual-kubelet's PodLifecycleHandler and PodNotifier. The controller
// owns the Kubernetes side (informer, status writes, events, deletion of the API object); a
// provider owns its backend: creating, stopping and watching the pods it runs. Pods are passed
// whole, because a backend names its pods after the Kubernetes pod's uid.
import type { Pod, PodStatus } from '../../kube/wire.ts';

/** What the backend says of a pod: its status, and annotations to record on the pod with it. */
export interface ProviderPodStatus {
  status: PodStatus;
  annotations?: Record<string, string>;
}

export interface PodLifecycleHandler {
  /** What messages call the backend and its pods, e.g. "CCI". */
  readonly name: string;
  /** Starts watching the backend; resolves once its view of the pods is complete. */
  start(): Promise<void>;
  stop(): void;
  /**
   * Runs `pod` on the backend; idempotent per pod uid. Throws PodRefusedError for a pod that
   * can never run there, PodWaitingError for one that needs something not there yet.
   */
  createPod(pod: Pod): Promise<void>;
  /**
   * A pod seen for the first time, before a sync worker takes it: the provider may start the
   * lookups its creation will need (never the backend's own work, which the sync workers bound).
   */
  prepare?(pod: Pod): void;
  /** The pod's spec changed after it was created. */
  updatePod(pod: Pod): Promise<void>;
  /** Stops the backend's pod for `pod`, giving its containers the grace period; no error if there is none. */
  deletePod(pod: Pod, gracePeriodSeconds: number): Promise<void>;
  /**
   * The status the backend gives `pod`, or undefined when it runs no pod for it. `confirm`
   * asks the backend itself rather than a cache (before a pod is failed for a missing backend pod).
   */
  getPodStatus(pod: Pod, options?: { confirm?: boolean }): Promise<ProviderPodStatus | undefined>;
  /** The pods the backend runs for this node: namespace, name and uid, and deletionTimestamp while stopping. */
  getPods(): Promise<Pod[]>;
  /** `onChange("namespace/name")` is called whenever the backend's side of that pod changes. */
  notifyPods(onChange: (key: string) => void): void;
}

/** The pod can never run on this backend; it fails with `reason` (a status reason and event). */
export class PodRefusedError extends Error {
  override name = 'PodRefusedError';
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

/**
 * Something the pod needs is missing (a ConfigMap, a Secret): it stays Pending, and creation is
 * tried again later, or sooner when the provider notifies the pod.
 */
export class PodWaitingError extends Error {
  override name = 'PodWaitingError';
}

// What the virtual node needs from CCI: the subset of the CCI client (src/cci/client.ts) it
// calls, as an interface so the controllers depend on behaviour, not on the HTTP client.
import type { CciNetwork, CciPod, CciPodList, CciQuota, CciWatchEvent } from '../cci/types.ts';

export interface CciPodsBackend {
  createPod(pod: CciPod): Promise<CciPod>;
  getPod(name: string): Promise<CciPod>;
  listPods(opts?: { limit?: number; continue?: string }): Promise<CciPodList>;
  deletePod(name: string, gracePeriodSeconds: number): Promise<unknown>;
  watchPods(resourceVersion: string, onEvent: (event: CciWatchEvent) => void, signal: AbortSignal): Promise<void>;
  quota(): Promise<CciQuota>;
  network(): Promise<CciNetwork>;
  /** The namespace's Networks (subnets), the default first. */
  networks(): Promise<CciNetwork[]>;
}

/** The HTTP status of a CCI error (CciError carries `status`), or undefined for other errors. */
export function cciStatus(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

export function cciReason(err: unknown): string {
  const reason = (err as { reason?: unknown } | null)?.reason;
  return typeof reason === 'string' ? reason : ((err as Error)?.name ?? 'Error');
}

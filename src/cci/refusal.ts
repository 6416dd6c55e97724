// Whether CCI's answer to a pod creation is final, as a pure function: a pod CCI refuses for
// what it is (invalid, forbidden, too large for the quota) will be refused again however often it
// is sent, so it fails with a reason `kubectl describe` shows; anything else (throttling, a
// server error, no answer, a lost credential that the operator can fix, a quota that is full
// now) is tried again.
import { errorMessage } from '../log/error-message.ts';

/** The status reason of a pod CCI refused for good. */
export const PROVIDER_REFUSED = 'ProviderRefused';

export interface CciRefusal {
  reason: typeof PROVIDER_REFUSED;
  message: string;
}

/** Statuses after which the same request may succeed: a timeout, a conflict, throttling; 401 is the node's credential, not the pod. */
const RETRIED_4XX = new Set([401, 408, 409, 425, 429]);

function statusOf(err: unknown): { status: number; reason: string } | undefined {
  const e = err as { status?: unknown; reason?: unknown } | null;
  return typeof e?.status === 'number' ? { status: e.status, reason: typeof e.reason === 'string' ? e.reason : '' } : undefined;
}

/**
 * Kubernetes' wording for a full ResourceQuota (403). Quota frees as pods end, or is raised: as
 * the ReplicaSet controller does for its own quota refusals, the pod waits (a Warning says why)
 * rather than failing, which would have its controller create another for CCI to refuse again.
 */
const QUOTA_FULL = /\bexceeded quota\b/;

/** The refusal `err` means for a pod creation, or undefined when creating it again may work. */
export function cciCreateRefusal(err: unknown): CciRefusal | undefined {
  const s = statusOf(err);
  if (!s || s.status < 400 || s.status >= 500 || RETRIED_4XX.has(s.status)) return undefined;
  if (s.status === 403 && QUOTA_FULL.test(errorMessage(err))) return undefined;
  return { reason: PROVIDER_REFUSED, message: `CCI refused the pod (${s.status}${s.reason ? ` ${s.reason}` : ''}): ${errorMessage(err)}` };
}

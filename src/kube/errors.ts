// What a failed API call means, for Kubernetes-style APIs: the API server's errors (KubeError)
// and CCI's (CciError, whose Status objects are Kubernetes'), told apart as client-go's
// apierrors do: by the Status reason when the server gave one, else by the HTTP status.
// Callers ask `isNotFound(err)` instead of comparing status codes.

/** An error carrying an HTTP status (0: no response came) and a Status reason. */
export interface StatusError {
  status: number;
  reason: string;
}

function statusError(err: unknown): StatusError | undefined {
  const e = err as Partial<StatusError> | null | undefined;
  return err instanceof Error && typeof e?.status === 'number' ? { status: e.status, reason: typeof e.reason === 'string' ? e.reason : '' } : undefined;
}

/** The server gave no reason, or one it did not say more with. */
const UNKNOWN_REASONS = new Set(['', 'Unknown']);

function is(err: unknown, status: number, reason?: string): boolean {
  const e = statusError(err);
  if (e?.status !== status) return false;
  return reason === undefined || e.reason === reason || UNKNOWN_REASONS.has(e.reason);
}

export const isNotFound = (err: unknown): boolean => is(err, 404);

export const isBadRequest = (err: unknown): boolean => is(err, 400);

/** 410 Gone / Expired: a watch's resourceVersion is too old; relist. */
export const isGone = (err: unknown): boolean => is(err, 410);

/** A write lost to what the server holds (a precondition or resourceVersion conflict). */
export const isConflict = (err: unknown): boolean => is(err, 409, 'Conflict');

/** 429: throttled, or (for an eviction) refused by a PodDisruptionBudget for now. */
export const isTooManyRequests = (err: unknown): boolean => is(err, 429);

/** A create found the object there already. */
export const isAlreadyExists = (err: unknown): boolean => is(err, 409, 'AlreadyExists');

/** Retrying may succeed: throttling, server errors, timeouts and broken connections (status 0). */
export function isTransientStatus(status: number): boolean {
  return status === 0 || status === 429 || status >= 500;
}

export function isTransient(err: unknown): boolean {
  const e = statusError(err);
  return e !== undefined && isTransientStatus(e.status);
}

/** The reason of an API error for metrics and logs (the error's name for other failures). */
export function errorReason(err: unknown): string {
  const e = statusError(err);
  if (e && e.reason !== '') return e.reason;
  return err instanceof Error ? err.name : 'Error';
}

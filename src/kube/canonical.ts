// Comparing API objects as JSON: keys in any order, null/undefined dropped, so that what
// burstlet computed and what the API server echoed back compare equal.

/** A canonical JSON form: keys sorted, null/undefined dropped (for keys made of objects). */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) return v;
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)));
  });
}

/**
 * Whether `a` and `b` have the same canonical form, without building it: a status comparison
 * runs on every status write, and the sorted copies were the virtual node's largest
 * allocation at a 1,000-pod burst.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  if (typeof a !== 'object' || typeof b !== 'object' || Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((x, i) => sameJson(x, other[i]));
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  // Every present key of `a` must match a present key of `b`; equal counts leave no extra in `b`.
  let present = 0;
  for (const k of Object.keys(x)) {
    if (x[k] === null || x[k] === undefined) continue;
    present++;
    if (!sameJson(x[k], y[k])) return false;
  }
  for (const k of Object.keys(y)) if (y[k] !== null && y[k] !== undefined) present--;
  return present === 0;
}

// Server-side apply, simplified: an applied configuration is merged like a strategic merge
// patch, and what the same field manager applied last time but no longer does is removed
// (fields, and merge-keyed list items). Field ownership across managers and conflict
// detection are not modelled: the last applier wins.
import { patchSchemaFor, type PatchSchema } from './patch-meta.ts';
import { isObject, type JsonObject } from './patch.ts';

const IDENTITY = new Set(['apiVersion', 'kind']);
const META_IDENTITY = new Set(['name', 'namespace']);

function keyOf(item: unknown, mergeKey: string): string {
  return JSON.stringify(mergeKey === '' ? item : isObject(item) ? item[mergeKey] : item);
}

function prune(obj: JsonObject, prev: JsonObject, next: JsonObject, schema: PatchSchema, keep: Set<string>): JsonObject {
  const out: JsonObject = { ...obj };
  for (const [k, before] of Object.entries(prev)) {
    if (keep.has(k)) continue;
    // metadata itself always stays: only what was applied inside it can go.
    const now = next[k] ?? (k === 'metadata' && keep === IDENTITY ? {} : undefined);
    if (now === undefined) {
      delete out[k];
      continue;
    }
    const meta = schema[k];
    if (isObject(before) && isObject(now) && isObject(out[k])) {
      out[k] = prune(out[k] as JsonObject, before, now, meta?.fields ?? {}, k === 'metadata' ? META_IDENTITY : new Set());
    } else if (Array.isArray(before) && Array.isArray(now) && Array.isArray(out[k]) && meta?.mergeKey !== undefined) {
      const mergeKey = meta.mergeKey;
      const dropped = new Set(before.map((x) => keyOf(x, mergeKey)).filter((key) => !now.some((x) => keyOf(x, mergeKey) === key)));
      out[k] = (out[k] as unknown[])
        .filter((x) => !dropped.has(keyOf(x, mergeKey)))
        .map((x) => {
          const p = before.find((b) => keyOf(b, mergeKey) === keyOf(x, mergeKey));
          const n = now.find((b) => keyOf(b, mergeKey) === keyOf(x, mergeKey));
          return isObject(x) && isObject(p) && isObject(n) ? prune(x, p, n, meta.fields ?? {}, new Set([mergeKey])) : x;
        });
    }
  }
  return out;
}

/**
 * Removes from `merged` what `previous` (this manager's last applied configuration) set and
 * `applied` (its new one) no longer sets.
 */
export function pruneUnapplied(kind: string, merged: JsonObject, previous: JsonObject, applied: JsonObject): JsonObject {
  return prune(merged, previous, applied, patchSchemaFor(kind), IDENTITY);
}

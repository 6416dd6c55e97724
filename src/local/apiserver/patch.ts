// The three patch types of the Kubernetes API as pure functions of (original, patch):
// JSON patch (RFC 6902), JSON merge patch (RFC 7386) and strategic merge patch with the
// directives kubectl sends ($patch, $retainKeys, $setElementOrder, $deleteFromPrimitiveList).
import { patchSchemaFor, type FieldMeta, type PatchSchema } from './patch-meta.ts';

export type JsonObject = Record<string, unknown>;

/** A patch that cannot be applied to this object (a failed "test", a missing path...). */
export class PatchApplyError extends Error {
  override name = 'PatchApplyError';
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function clone<T>(v: T): T {
  return v === undefined ? v : structuredClone(v);
}

// ---- JSON patch ------------------------------------------------------------------------

function parsePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchApplyError(`invalid JSON pointer "${path}"`);
  return path.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = JsonObject | unknown[];

function resolveParent(doc: unknown, tokens: string[], path: string): { parent: Container; key: string } {
  let cur = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObject(cur)) cur = cur[t];
    else cur = undefined;
    if (cur === undefined) throw new PatchApplyError(`missing path "${path}"`);
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw new PatchApplyError(`missing path "${path}"`);
  return { parent: cur, key: tokens[tokens.length - 1]! };
}

function arrayIndex(arr: unknown[], key: string, path: string, forInsert: boolean): number {
  if (forInsert && key === '-') return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(key)) throw new PatchApplyError(`invalid array index "${key}" in "${path}"`);
  const i = Number(key);
  if (i > arr.length || (!forInsert && i === arr.length)) throw new PatchApplyError(`array index ${i} out of range in "${path}"`);
  return i;
}

function getAt(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const t of parsePointer(path)) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObject(cur) && Object.hasOwn(cur, t)) cur = cur[t];
    else throw new PatchApplyError(`missing path "${path}"`);
    if (cur === undefined) throw new PatchApplyError(`missing path "${path}"`);
  }
  return cur;
}

function removeAt(doc: unknown, path: string): unknown {
  const { parent, key } = resolveParent(doc, parsePointer(path), path);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, key, path, false), 1)[0];
  if (!Object.hasOwn(parent, key)) throw new PatchApplyError(`missing path "${path}"`);
  const old = parent[key];
  delete parent[key];
  return old;
}

function addAt(doc: unknown, path: string, value: unknown, replace: boolean): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const { parent, key } = resolveParent(doc, tokens, path);
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, key, path, !replace);
    parent.splice(i, replace ? 1 : 0, value);
  } else {
    if (replace && !Object.hasOwn(parent, key)) throw new PatchApplyError(`missing path "${path}"`);
    parent[key] = value;
  }
  return doc;
}

/** Structural equality of JSON values (object key order does not matter). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
}

export function applyJsonPatch(original: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchApplyError('a JSON patch must be an array of operations');
  let doc = clone(original);
  for (const raw of ops) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') throw new PatchApplyError(`invalid JSON patch operation ${JSON.stringify(raw)}`);
    const { op, path } = raw;
    const from = typeof raw.from === 'string' ? raw.from : undefined;
    switch (op) {
      case 'add':
        doc = addAt(doc, path, clone(raw.value), false);
        break;
      case 'replace':
        doc = addAt(doc, path, clone(raw.value), true);
        break;
      case 'remove':
        removeAt(doc, path);
        break;
      case 'test':
        if (!deepEqual(getAt(doc, path), raw.value)) throw new PatchApplyError(`testing value ${path} failed`);
        break;
      case 'move':
      case 'copy': {
        if (from === undefined) throw new PatchApplyError(`"${op}" needs "from"`);
        const value = op === 'move' ? removeAt(doc, from) : clone(getAt(doc, from));
        doc = addAt(doc, path, value, false);
        break;
      }
      default:
        throw new PatchApplyError(`unknown JSON patch operation "${op}"`);
    }
  }
  return doc;
}

// ---- JSON merge patch ------------------------------------------------------------------

export function applyMergePatch(original: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(original) ? { ...original } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

// ---- Strategic merge patch -------------------------------------------------------------

const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';

/** Removes directive keys from a value that is inserted rather than merged. */
function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, val] of Object.entries(v)) if (!k.startsWith('$')) out[k] = stripDirectives(val);
  return out;
}

function keyOf(item: unknown, mergeKey: string): string {
  return JSON.stringify(mergeKey === '' ? item : isObject(item) ? item[mergeKey] : item);
}

function mergeList(original: unknown, patch: unknown[], meta: FieldMeta): unknown[] {
  const mergeKey = meta.mergeKey!;
  const orig = Array.isArray(original) ? original : [];
  if (patch.some((p) => isObject(p) && p.$patch === 'replace')) {
    return patch.filter((p) => !(isObject(p) && p.$patch === 'replace')).map(stripDirectives);
  }
  if (mergeKey === '') {
    const out = [...orig];
    for (const p of patch) if (!out.some((o) => deepEqual(o, p))) out.push(clone(p));
    return out;
  }
  const out = [...orig];
  for (const p of patch) {
    const key = keyOf(p, mergeKey);
    const i = out.findIndex((o) => keyOf(o, mergeKey) === key);
    if (isObject(p) && p.$patch === 'delete') {
      if (i !== -1) out.splice(i, 1);
    } else if (i === -1) out.push(stripDirectives(p));
    else out[i] = strategicMergeObject(isObject(out[i]) ? (out[i] as JsonObject) : {}, p, meta.fields ?? {});
  }
  return out;
}

function applyElementOrder(list: unknown, order: unknown, mergeKey: string): unknown {
  if (!Array.isArray(list) || !Array.isArray(order)) return list;
  const rank = new Map(order.map((o, i) => [keyOf(o, mergeKey), i]));
  const listed = list.filter((x) => rank.has(keyOf(x, mergeKey)));
  listed.sort((a, b) => rank.get(keyOf(a, mergeKey))! - rank.get(keyOf(b, mergeKey))!);
  return [...listed, ...list.filter((x) => !rank.has(keyOf(x, mergeKey)))];
}

function strategicMergeObject(original: JsonObject, patch: unknown, schema: PatchSchema): JsonObject | undefined {
  if (!isObject(patch)) throw new PatchApplyError('a strategic merge patch must be a JSON object');
  if (patch.$patch === 'delete') return undefined;
  if (patch.$patch === 'replace') return stripDirectives(patch) as JsonObject;
  if (patch.$patch !== undefined) throw new PatchApplyError(`unknown patch directive $patch: ${JSON.stringify(patch.$patch)}`);
  const out: JsonObject = { ...original };
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys.map(String));
    for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k];
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith(DELETE_PRIMITIVE)) {
      const field = k.slice(DELETE_PRIMITIVE.length);
      const remove = Array.isArray(v) ? v : [];
      if (Array.isArray(out[field])) out[field] = (out[field] as unknown[]).filter((x) => !remove.some((r) => deepEqual(r, x)));
      continue;
    }
    if (k.startsWith('$')) continue;
    if (v === null) {
      delete out[k];
      continue;
    }
    const meta = schema[k];
    if (isObject(v)) {
      const merged = strategicMergeObject(isObject(out[k]) ? (out[k] as JsonObject) : {}, v, meta?.fields ?? {});
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else if (Array.isArray(v) && meta?.mergeKey !== undefined) {
      out[k] = mergeList(out[k], v, meta);
    } else {
      out[k] = stripDirectives(v);
    }
  }
  for (const [k, order] of Object.entries(patch)) {
    if (!k.startsWith(SET_ORDER)) continue;
    const field = k.slice(SET_ORDER.length);
    const meta = schema[field];
    if (meta?.mergeKey !== undefined) out[field] = applyElementOrder(out[field], order, meta.mergeKey);
  }
  return out;
}

/** Applies a strategic merge patch to an object of `kind` (unknown kinds merge maps and replace lists). */
export function applyStrategicMergePatch(original: JsonObject, patch: unknown, kind: string): JsonObject {
  const out = strategicMergeObject(clone(original), patch, patchSchemaFor(kind));
  if (out === undefined) throw new PatchApplyError('$patch: delete is not allowed at the top level of an object');
  return out;
}

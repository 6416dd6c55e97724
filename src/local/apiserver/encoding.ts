// Request and response encoding: which representation the client asked for (plain JSON,
// Table, PartialObjectMetadata), list envelopes, selectors from the query, DeleteOptions.
import { badRequest } from './errors.ts';
import { isObject, type JsonObject } from './patch.ts';
import type { DeleteOptions } from './pods.ts';
import { apiVersionOf, type ResourceDef } from './resources.ts';
import { compileFieldSelector, matchesLabels, parseFieldSelector, parseLabelSelector, type FieldObject } from './selectors.ts';
import type { KubeObject } from './store.ts';
import { partialMetadata, toTable, type IncludeObject } from './table.ts';
import { errorMessage } from '../../log/error-message.ts';

export type Query = Record<string, string | string[] | undefined>;

export function queryValue(q: Query, key: string): string | undefined {
  const v = q[key];
  return Array.isArray(v) ? v[0] : v;
}

export type Representation = 'json' | 'table' | 'partial';

/**
 * Picks the representation from Accept: kubectl asks for `application/json;as=Table;v=v1;g=meta.k8s.io,...`.
 * Protobuf is never served; a client listing it first still gets JSON, as it accepts.
 */
export function negotiate(accept: string | undefined): Representation {
  for (const part of (accept ?? '').split(',')) {
    const params = new Map(
      part
        .split(';')
        .slice(1)
        .map((p) => p.trim().split('=') as [string, string]),
    );
    const type = part.split(';')[0]!.trim();
    if (type !== 'application/json' && type !== '*/*') continue;
    const as = params.get('as');
    if (as === 'Table' && (params.get('g') ?? 'meta.k8s.io') === 'meta.k8s.io') return 'table';
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return 'partial';
    if (as === undefined) return 'json';
  }
  return 'json';
}

export function includeObjectOf(q: Query): IncludeObject {
  const v = queryValue(q, 'includeObject');
  if (v === undefined || v === '') return 'Metadata';
  if (v === 'None' || v === 'Metadata' || v === 'Object') return v;
  throw badRequest(`includeObject must be one of None, Metadata, Object (got "${v}")`);
}

/** A predicate from labelSelector and fieldSelector; 400 BadRequest when either does not parse. */
export function selectorFilter(def: ResourceDef, q: Query): (o: KubeObject) => boolean {
  const label = queryValue(q, 'labelSelector') ?? '';
  const field = queryValue(q, 'fieldSelector') ?? '';
  try {
    const labels = label === '' ? [] : parseLabelSelector(label);
    const fields = field === '' ? () => true : compileFieldSelector(def.storage, parseFieldSelector(field));
    return (o) => matchesLabels(labels, o.metadata.labels) && fields(o as FieldObject);
  } catch (err) {
    throw badRequest(errorMessage(err));
  }
}

export function encodeObject(def: ResourceDef, obj: KubeObject, rep: Representation, q: Query): unknown {
  if (rep === 'table') return toTable(def.kind, [obj], includeObjectOf(q), { resourceVersion: obj.metadata.resourceVersion });
  if (rep === 'partial') return partialMetadata(obj);
  return obj;
}

export function encodeList(def: ResourceDef, items: KubeObject[], resourceVersion: number, rep: Representation, q: Query, more: { continue?: string; remainingItemCount?: number } = {}): unknown {
  const metadata = { resourceVersion: String(resourceVersion), ...more };
  if (rep === 'table') return toTable(def.kind, items, includeObjectOf(q), metadata);
  if (rep === 'partial') return { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata, items: items.map(partialMetadata) };
  return { kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata, items };
}

function intParam(raw: unknown, name: string): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw badRequest(`${name} must be an integer`);
  return n;
}

/** DeleteOptions from the body (kubectl sends one) and the query (curl users do). */
export function deleteOptionsOf(body: unknown, q: Query): DeleteOptions {
  const b: JsonObject = isObject(body) ? body : {};
  const pre = isObject(b.preconditions) ? b.preconditions : {};
  const opts: DeleteOptions = {};
  const grace = intParam(b.gracePeriodSeconds ?? queryValue(q, 'gracePeriodSeconds'), 'gracePeriodSeconds');
  if (grace !== undefined) opts.gracePeriodSeconds = grace;
  const preconditions: DeleteOptions['preconditions'] = {};
  if (typeof pre.uid === 'string') preconditions.uid = pre.uid;
  if (typeof pre.resourceVersion === 'string') preconditions.resourceVersion = pre.resourceVersion;
  if (preconditions.uid || preconditions.resourceVersion) opts.preconditions = preconditions;
  const policy = b.propagationPolicy ?? queryValue(q, 'propagationPolicy');
  if (typeof policy === 'string') opts.propagationPolicy = policy;
  return opts;
}

export function isDryRun(q: Query): boolean {
  const v = q.dryRun;
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  if (list.some((x) => x !== 'All')) throw badRequest('dryRun may only be "All"');
  return list.length > 0;
}

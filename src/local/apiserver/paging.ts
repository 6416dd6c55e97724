// List paging (limit/continue) as kube-apiserver does it: items in key order (namespace/name),
// each page carrying the first page's resourceVersion so a watch from it misses nothing; an
// opaque continue token names where the next page starts.
import { badRequest } from './errors.ts';
import { objectKey, type KubeObject } from './store.ts';

export interface Page {
  items: KubeObject[];
  resourceVersion: number;
  continue?: string;
  remainingItemCount?: number;
}

const keyOf = (o: KubeObject): string => objectKey(o.metadata.namespace, o.metadata.name ?? '');

export function paginate(items: KubeObject[], resourceVersion: number, limit: number | undefined, token: string | undefined): Page {
  let rv = resourceVersion;
  const keyed = items.map((o) => [keyOf(o), o] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  let rest = keyed.map(([, o]) => o);
  if (token) {
    let parsed: { rv?: unknown; after?: unknown };
    try {
      parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { rv?: unknown; after?: unknown };
    } catch {
      throw badRequest('continue key is not valid: start the list again without it');
    }
    if (typeof parsed.rv !== 'number' || typeof parsed.after !== 'string') throw badRequest('continue key is not valid: start the list again without it');
    rv = parsed.rv;
    const after = parsed.after;
    rest = keyed.filter(([k]) => k > after).map(([, o]) => o);
  }
  if (limit === undefined || limit <= 0 || rest.length <= limit) return { items: rest, resourceVersion: rv };
  const page = rest.slice(0, limit);
  const next = Buffer.from(JSON.stringify({ rv, after: keyOf(page[page.length - 1]!) })).toString('base64url');
  return { items: page, resourceVersion: rv, continue: next, remainingItemCount: rest.length - limit };
}

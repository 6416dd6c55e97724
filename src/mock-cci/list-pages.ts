// Chunked lists, as Kubernetes (and CCI's Kubernetes-shaped API) serve them: `limit` items in
// name order, and a `continue` token for the rest. Every page carries the first page's
// resourceVersion, so that a client watching from it after the last page hears of whatever
// changed while it paged. The token names that version and the last name served; a token whose
// version the watch history no longer reaches is expired (410), and the client lists again.
import type { CciPod } from '../cci/types.ts';
import { badRequest, CciApiError } from './status.ts';

export interface ListPage {
  items: CciPod[];
  resourceVersion: string;
  continue?: string;
}

interface Token {
  rv: string;
  after: string;
}

function decode(token: string): Token {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<Token>;
    if (typeof t.rv === 'string' && /^\d+$/.test(t.rv) && typeof t.after === 'string') return { rv: t.rv, after: t.after };
  } catch {
    // falls through to the refusal
  }
  throw badRequest('continue: not a token this server issued; list again without continue');
}

/**
 * One page of `pods` (already filtered by the request's selector). `limit` 0 or absent: all of
 * them in one page. `oldestResumable`: the oldest version the watch history still reaches.
 */
export function listPage(pods: readonly CciPod[], currentRV: string, oldestResumable: number, limit: number | undefined, token: string | undefined): ListPage {
  const from = token === undefined ? undefined : decode(token);
  if (from && Number(from.rv) < oldestResumable) {
    throw new CciApiError(410, 'Expired', 'the continue token has expired: the list changed too much since its first page; list again without continue');
  }
  const resourceVersion = from?.rv ?? currentRV;
  const rest = pods.filter((p) => from === undefined || p.metadata.name > from.after).sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  if (!limit || rest.length <= limit) return { items: rest, resourceVersion };
  const items = rest.slice(0, limit);
  return { items, resourceVersion, continue: Buffer.from(JSON.stringify({ rv: resourceVersion, after: items.at(-1)!.metadata.name })).toString('base64url') };
}

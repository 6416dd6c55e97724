// The API server's side of a mutating admission webhook, for control planes that have none (the
// embedded one): send a pod to the webhook as an AdmissionReview v1, apply the JSON Patch it
// answers with, and create what comes out.
import { request, Agent } from 'undici';

export type PatchOp = { op: string; path: string; value?: unknown };

/** RFC 6902 "add" (and "replace"), the operations burstlet's webhook answers with. */
export function applyJsonPatch<T>(doc: T, ops: readonly PatchOp[]): T {
  const out = structuredClone(doc) as Record<string, unknown>;
  for (const op of ops) {
    if (op.op !== 'add' && op.op !== 'replace') throw new Error(`patch op ${op.op} is not handled here`);
    const parts = op.path.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    let at: Record<string, unknown> | unknown[] = out;
    for (const p of parts.slice(0, -1)) at = (at as Record<string, unknown>)[p] as Record<string, unknown>;
    const last = parts.at(-1)!;
    if (Array.isArray(at)) {
      if (last === '-') at.push(op.value);
      else at.splice(Number(last), op.op === 'add' ? 0 : 1, op.value);
    } else at[last] = op.value;
  }
  return out as T;
}

export interface Reviewed<T> {
  object: T;
  patch: PatchOp[] | undefined;
  warnings: string[];
}

const insecure = new Agent({ connect: { rejectUnauthorized: false } });

/** What the API server would store: `pod` after the webhook at `url` mutated it. */
export async function admitThroughWebhook<T extends { metadata?: { namespace?: string } }>(url: string, pod: T, namespace: string): Promise<Reviewed<T>> {
  const res = await request(url, {
    method: 'POST',
    dispatcher: insecure,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: { uid: `e2e-${Math.random().toString(36).slice(2)}`, kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, operation: 'CREATE', namespace, object: pod },
    }),
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`webhook answered ${res.statusCode}: ${text}`);
  const response = (JSON.parse(text) as { response: { allowed: boolean; patch?: string; warnings?: string[] } }).response;
  if (!response.allowed) throw new Error(`webhook refused the pod: ${text}`);
  const patch = response.patch ? (JSON.parse(Buffer.from(response.patch, 'base64').toString()) as PatchOp[]) : undefined;
  return { object: patch ? applyJsonPatch(pod, patch) : pod, patch, warnings: response.warnings ?? [] };
}

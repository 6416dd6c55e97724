// One AdmissionReview (admission.k8s.io/v1) in, one out: reads the pod being created, resolves its
// policy (pod, workload, profile, namespace) and answers with the JSON Patch that expresses it.
// Anything it does not handle (not a pod CREATE, no policy asked for) is allowed unchanged: the
// webhook never refuses a pod, it only adds scheduling fields.
import type { Pod } from '../../kube/wire.ts';
import { policyFor, type PolicyLookup } from '../lookup.ts';
import { mutationFor, type AppliedPolicy } from '../mutation.ts';
import { chooseNetwork, withNetwork } from '../network-choice.ts';
import type { PolicyDecision } from '../policy.ts';
import { errorMessage } from '../../log/error-message.ts';

export class BadReview extends Error {
  override name = 'BadReview';
}

export interface AdmissionRequest {
  uid: string;
  kind?: { group?: string; version?: string; kind?: string };
  operation?: string;
  subResource?: string;
  namespace?: string;
  object?: unknown;
}

export interface AdmissionResponse {
  uid: string;
  allowed: true;
  patchType?: 'JSONPatch';
  patch?: string;
  warnings?: string[];
}

export interface AdmissionReviewOut {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

export interface Admission {
  review: AdmissionReviewOut;
  /** Set when a policy applied (for the decision metrics). */
  decision?: PolicyDecision;
  applied?: AppliedPolicy;
  /** Set when the pod could not be worked out (it was admitted unchanged). */
  error?: Error;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks the envelope; throws BadReview naming what is wrong. */
export function parseReview(body: unknown): AdmissionRequest {
  if (!isObject(body)) throw new BadReview('the body is not a JSON object');
  if (body.apiVersion !== 'admission.k8s.io/v1' || body.kind !== 'AdmissionReview') {
    throw new BadReview(`expected apiVersion admission.k8s.io/v1, kind AdmissionReview; got ${JSON.stringify(body.apiVersion)}, ${JSON.stringify(body.kind)}`);
  }
  const req = body.request;
  if (!isObject(req) || typeof req.uid !== 'string' || req.uid === '') throw new BadReview('request.uid is missing');
  return req as unknown as AdmissionRequest;
}

function respond(uid: string, extra: Omit<AdmissionResponse, 'uid' | 'allowed'> = {}): AdmissionReviewOut {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true, ...extra } };
}

function isPodCreate(req: AdmissionRequest): boolean {
  return req.operation === 'CREATE' && !req.subResource && req.kind?.group === '' && req.kind.kind === 'Pod' && isObject(req.object);
}

/**
 * Answers one review. A pod the policy cannot be worked out for (a malformed object a real API
 * server would not send) is admitted unchanged with a warning, never refused.
 */
export async function admit(req: AdmissionRequest, ctx: PolicyLookup): Promise<Admission> {
  if (!isPodCreate(req)) return { review: respond(req.uid) };
  try {
    return await admitPod(req, ctx);
  } catch (err) {
    return { review: respond(req.uid, { warnings: [`burstlet: no burst policy applied: ${errorMessage(err)}`.slice(0, 250)] }), error: err as Error };
  }
}

async function admitPod(req: AdmissionRequest, ctx: PolicyLookup): Promise<Admission> {
  const pod = req.object as Pod;
  const namespace = req.namespace || pod.metadata?.namespace || '';
  // The request's namespace is authoritative; the object may not carry one yet.
  const podInNs: Pod = { ...pod, metadata: { ...pod.metadata, namespace } };
  const resolution = await policyFor(podInNs, namespace, ctx);
  if (resolution === 'daemonset') return { review: respond(req.uid) };
  const { decision, warnings } = resolution;
  const warned = warnings.length > 0 ? { warnings } : {};
  const network = chooseNetwork(podInNs, decision?.profile, ctx.namespaceNetwork(namespace));
  const chosen = network === undefined ? podInNs : withNetwork(podInNs, network);
  const encode = (patch: unknown): string => Buffer.from(JSON.stringify(patch)).toString('base64');
  if (!decision) {
    if (network === undefined) return { review: respond(req.uid, warned) };
    const patch = [{ op: 'add', path: '/metadata/annotations', value: chosen.metadata!.annotations }];
    return { review: respond(req.uid, { patchType: 'JSONPatch', patch: encode(patch), ...warned }) };
  }
  // The mutation writes the pod's whole annotations: the chosen Network goes with them.
  const { patch, applied } = mutationFor(chosen, decision, ctx.taints);
  return { review: respond(req.uid, { patchType: 'JSONPatch', patch: encode(patch), ...warned }), decision, applied };
}

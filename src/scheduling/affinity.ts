// Node selection rules: nodeSelector, node affinity terms, tolerations against taints —
// the matching semantics of k8s.io/component-helpers, as pure predicates.
import type { V1Node, V1NodeSelectorRequirement, V1NodeSelectorTerm, V1Pod, V1Taint, V1Toleration } from '@kubernetes/client-node';

/** One requirement against a label map (also used for matchFields with metadata.name). */
function requirementMatches(req: V1NodeSelectorRequirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, req.key);
  const value = labels[req.key];
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return has && values.includes(value!);
    case 'NotIn':
      return !has || !values.includes(value!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || values.length !== 1) return false;
      const [label, bound] = [integer(value!), integer(values[0]!)];
      if (label === undefined || bound === undefined) return false;
      return req.operator === 'Gt' ? label > bound : label < bound;
    }
    default:
      return false;
  }
}

function integer(text: string): bigint | undefined {
  return /^[+-]?\d+$/.test(text) ? BigInt(text) : undefined;
}

/** A term matches when all its expressions and fields match; an empty term matches nothing. */
export function termMatches(term: V1NodeSelectorTerm, node: V1Node): boolean {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (expressions.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  const fieldSet = { 'metadata.name': node.metadata?.name ?? '' };
  return (
    expressions.every((r) => requirementMatches(r, labels)) &&
    fields.every((r) => r.key === 'metadata.name' && requirementMatches(r, fieldSet))
  );
}

/** nodeSelector and requiredDuringSchedulingIgnoredDuringExecution (terms are ORed). */
export function requiredAffinityMatches(pod: V1Pod, node: V1Node): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [key, value] of Object.entries(pod.spec?.nodeSelector ?? {})) {
    if (labels[key] !== value) return false;
  }
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return required.nodeSelectorTerms.some((term) => termMatches(term, node));
}

/** Sum of the weights of the preferred terms the node matches. */
export function preferredAffinityWeight(pod: V1Pod, node: V1Node): number {
  const preferred = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  let total = 0;
  for (const p of preferred) if (p.weight !== 0 && termMatches(p.preference, node)) total += p.weight;
  return total;
}

export function tolerates(toleration: V1Toleration, taint: V1Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator || 'Equal') {
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

export function toleratedBy(tolerations: readonly V1Toleration[], taint: V1Taint): boolean {
  return tolerations.some((t) => tolerates(t, taint));
}

// The downward API: pod fields and container resources as text, for env vars and for
// downwardAPI/projected volume files, as the kubelet formats them.
import type { V1Container, V1ObjectFieldSelector, V1ResourceFieldSelector } from '@kubernetes/client-node';
import { TranslateError, type TranslateContext } from './context.ts';
import { cpuMillis, divideQuantity, formatCpu, formatMemory, memoryBytes, QuantityError } from '../../kube/quantity.ts';

/**
 * Fields only CCI knows once the pod runs (its IP, the host's IP). They travel as a
 * Kubernetes-style fieldRef on the CCI env var and the backend fills them at start.
 */
export const RUNTIME_FIELDS = ['status.podIP', 'status.podIPs', 'status.hostIP', 'status.hostIPs'] as const;
export type RuntimeField = (typeof RUNTIME_FIELDS)[number];

export function isRuntimeField(path: string): path is RuntimeField {
  return (RUNTIME_FIELDS as readonly string[]).includes(path);
}

const GO_ESCAPES: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '"': '\\"', '\\': '\\\\' };

/** Go's unicode.IsPrint is letters, marks, numbers, punctuation, symbols and the ASCII space. */
const NOT_GO_PRINTABLE = /[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/u;

/** Go's %q for a string: printable characters kept, the rest escaped as Go writes them. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (GO_ESCAPES[ch]) out += GO_ESCAPES[ch];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (NOT_GO_PRINTABLE.test(ch)) {
      out += code > 0xffff ? `\\U${code.toString(16).padStart(8, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return out + '"';
}

/** Labels or annotations as the kubelet writes them into a file: sorted `key="value"` lines, Go-quoted. */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${goQuote(m![k]!)}`)
    .join('\n');
}

const SUBSCRIPT = /^metadata\.(labels|annotations)\['(.*)'\]$/;

/** A pod field by its fieldPath; `inVolume` also allows the whole label/annotation maps. */
export function podFieldValue(ctx: TranslateContext, selector: V1ObjectFieldSelector, inVolume: boolean): string {
  const { pod } = ctx;
  const path = selector.fieldPath;
  const sub = SUBSCRIPT.exec(path);
  if (sub) return (sub[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations)?.[sub[2]!] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
    case 'spec.nodeName':
      if (!inVolume) return pod.spec?.nodeName ?? ctx.nodeName;
      break;
    case 'spec.serviceAccountName':
      if (!inVolume) return pod.spec?.serviceAccountName ?? '';
      break;
    case 'metadata.labels':
      if (inVolume) return formatMap(pod.metadata?.labels);
      break;
    case 'metadata.annotations':
      if (inVolume) return formatMap(pod.metadata?.annotations);
      break;
  }
  throw new TranslateError(
    'UnsupportedFieldRef',
    `fieldRef ${JSON.stringify(path)} is not supported ${inVolume ? 'in a downwardAPI volume' : 'in an env var'}; ` +
      'use metadata.name/namespace/uid/labels/annotations' + (inVolume ? '' : ', spec.nodeName, spec.serviceAccountName or status.podIP/hostIP'),
  );
}

/** The divisor in thousandths; one that is not a quantity refuses the pod, as any bad field does. */
function divisorMilli(divisor: string): bigint {
  try {
    return cpuMillis(divisor);
  } catch (err) {
    if (err instanceof QuantityError) throw new TranslateError('UnsupportedFieldRef', `resourceFieldRef divisor: ${err.message}`);
    throw err;
  }
}

/** CCI 2.0's default pod storage: what an unset ephemeral-storage limit means. */
export const CCI_POD_STORAGE = '30Gi';

const RESOURCE_FIELD = /^(limits|requests)\.(cpu|memory|ephemeral-storage)$/;

/**
 * A container resource by resourceFieldRef, divided by the divisor and rounded up. An unset
 * limit means the pod's CCI flavor, as the kubelet uses the node's allocatable.
 */
export function resourceFieldValue(ctx: TranslateContext, selector: V1ResourceFieldSelector, self: V1Container | undefined): string {
  const match = RESOURCE_FIELD.exec(selector.resource);
  if (!match) {
    throw new TranslateError('UnsupportedFieldRef', `resourceFieldRef ${JSON.stringify(selector.resource)} is not supported; use limits.* or requests.* of cpu, memory or ephemeral-storage`);
  }
  const [, kind, resource] = match as unknown as [string, 'limits' | 'requests', string];
  const all = [...(ctx.pod.spec?.containers ?? []), ...(ctx.pod.spec?.initContainers ?? [])];
  const container = selector.containerName ? all.find((c) => c.name === selector.containerName) : self;
  if (!container) {
    throw new TranslateError('UnsupportedFieldRef', `resourceFieldRef names container ${JSON.stringify(selector.containerName ?? '')}, which the pod does not have`);
  }
  const capacity: Record<string, string> = {
    cpu: formatCpu(ctx.flavor.cpuMilli),
    memory: formatMemory(ctx.flavor.memoryBytes),
    'ephemeral-storage': CCI_POD_STORAGE,
  };
  const value = container.resources?.[kind]?.[resource] ?? (kind === 'limits' ? capacity[resource]! : '0');
  const divisor = selector.divisor ?? '1';
  if (divisorMilli(divisor) <= 0n) throw new TranslateError('UnsupportedFieldRef', `resourceFieldRef divisor ${JSON.stringify(divisor)} must be positive`);
  if (resource === 'cpu') return String(divideQuantity(value, divisor));
  // Memory and storage divide whole bytes, as Value() / divisor.Value() in the kubelet.
  const per = memoryBytes(divisor);
  return String((memoryBytes(value) + per - 1n) / per);
}

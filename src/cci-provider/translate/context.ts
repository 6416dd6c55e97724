// What every translation step shares: the pod being translated, the objects it may
// reference, the events gathered so far, and the one error type that stops translation.
import type { V1ConfigMap, V1Pod, V1Secret } from '@kubernetes/client-node';
import type { Flavor } from '../../cci/flavor.ts';

export interface PodEvent {
  type: 'Normal' | 'Warning';
  /** CamelCase, as kubelet event reasons. */
  reason: string;
  message: string;
  /** The involved object: the pod (almost always) or the virtual node. */
  object: 'pod' | 'node';
}

/**
 * Translation cannot go on. Refusals (the pod can never run on CCI) are not retryable;
 * a missing ConfigMap/Secret is, as the kubelet keeps retrying with CreateContainerConfigError.
 */
export class TranslateError extends Error {
  override name = 'TranslateError';
  readonly reason: string;
  readonly retryable: boolean;
  constructor(reason: string, message: string, retryable = false) {
    super(message);
    this.reason = reason;
    this.retryable = retryable;
  }
}

/** The kubelet's reason while a container's config cannot be built yet. */
export const CREATE_CONTAINER_CONFIG_ERROR = 'CreateContainerConfigError';

export interface TranslateContext {
  pod: V1Pod;
  nodeName: string;
  /** ConfigMaps and Secrets of the pod's namespace, by name. */
  configMaps: ReadonlyMap<string, V1ConfigMap>;
  secrets: ReadonlyMap<string, V1Secret>;
  serviceAccountToken: string | undefined;
  /** The CCI flavor the pod runs in: what an unset limit means to the downward API. */
  flavor: Flavor;
  events: PodEvent[];
}

export function warn(ctx: TranslateContext, reason: string, message: string): void {
  ctx.events.push({ type: 'Warning', reason, message, object: 'pod' });
}

/** A non-optional ConfigMap; retryable error with the apiserver's wording when absent. */
export function requireConfigMap(ctx: TranslateContext, name: string, optional: boolean | undefined): V1ConfigMap | undefined {
  const found = ctx.configMaps.get(name);
  if (!found && !optional) throw new TranslateError(CREATE_CONTAINER_CONFIG_ERROR, `configmap ${JSON.stringify(name)} not found`, true);
  return found;
}

export function requireSecret(ctx: TranslateContext, name: string, optional: boolean | undefined): V1Secret | undefined {
  const found = ctx.secrets.get(name);
  if (!found && !optional) throw new TranslateError(CREATE_CONTAINER_CONFIG_ERROR, `secret ${JSON.stringify(name)} not found`, true);
  return found;
}

/** A ConfigMap's entries as bytes (data as UTF-8, binaryData decoded). */
export function configMapEntries(cm: V1ConfigMap): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(cm.data ?? {})) out.set(k, Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) out.set(k, Buffer.from(v, 'base64'));
  return out;
}

/** A Secret's entries as bytes (the API carries them base64). */
export function secretEntries(secret: V1Secret): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(secret.data ?? {})) out.set(k, Buffer.from(v, 'base64'));
  return out;
}

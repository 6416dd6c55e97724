// A container's environment, resolved as the kubelet resolves it (makeEnvironmentVariables):
// service links first, then envFrom sources, then env entries; later names override
// earlier ones. The list stays ordered with duplicates so that a backend expanding $(VAR)
// in order, Kubernetes-style, sees exactly what the kubelet would have expanded.
import type { V1Container } from '@kubernetes/client-node';
import type { CciEnvVar } from '../../cci/types.ts';
import { CREATE_CONTAINER_CONFIG_ERROR, requireConfigMap, requireSecret, secretEntries, TranslateError, warn, type TranslateContext } from './context.ts';
import { isRuntimeField, podFieldValue, resourceFieldValue } from './downward.ts';

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** A value that must reach the process as-is: `$` doubled so $(VAR) expansion leaves it alone. */
export function literal(value: string): string {
  return value.replaceAll('$', () => '$$');
}

function envFromVars(ctx: TranslateContext, container: V1Container): CciEnvVar[] {
  const out: CciEnvVar[] = [];
  const ns = ctx.pod.metadata?.namespace ?? '';
  for (const source of container.envFrom ?? []) {
    const prefix = source.prefix ?? '';
    let entries: [string, string][] | undefined;
    let what: string;
    if (source.configMapRef) {
      what = `configMap ${ns}/${source.configMapRef.name}`;
      const cm = requireConfigMap(ctx, source.configMapRef.name ?? '', source.configMapRef.optional);
      entries = cm && Object.entries(cm.data ?? {});
    } else if (source.secretRef) {
      what = `secret ${ns}/${source.secretRef.name}`;
      const secret = requireSecret(ctx, source.secretRef.name ?? '', source.secretRef.optional);
      entries = secret && [...secretEntries(secret)].map(([k, v]) => [k, v.toString('utf8')]);
    } else continue;
    if (!entries) continue;
    const invalid: string[] = [];
    for (const [key, value] of entries) {
      if (ENV_NAME.test(prefix + key)) out.push({ name: prefix + key, value: literal(value) });
      else invalid.push(prefix + key);
    }
    if (invalid.length > 0) {
      warn(ctx, 'InvalidEnvironmentVariableNames',
        `Keys [${invalid.sort().join(', ')}] from the EnvFrom ${what} were skipped since they are considered invalid environment variable names.`);
    }
  }
  return out;
}

/** One env entry; undefined when an optional reference is absent (the variable is left out). */
function envVar(ctx: TranslateContext, container: V1Container, name: string, entry: NonNullable<V1Container['env']>[number]): CciEnvVar | undefined {
  const from = entry.valueFrom;
  if (entry.value !== undefined && entry.value !== '') return { name, value: entry.value };
  if (!from) return { name, value: '' };
  const ns = ctx.pod.metadata?.namespace ?? '';
  if (from.configMapKeyRef) {
    const ref = from.configMapKeyRef;
    const value = requireConfigMap(ctx, ref.name ?? '', ref.optional)?.data?.[ref.key];
    if (value === undefined && !ref.optional && ctx.configMaps.has(ref.name ?? '')) {
      throw new TranslateError(CREATE_CONTAINER_CONFIG_ERROR, `couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name}`, true);
    }
    return value === undefined ? undefined : { name, value: literal(value) };
  }
  if (from.secretKeyRef) {
    const ref = from.secretKeyRef;
    const secret = requireSecret(ctx, ref.name ?? '', ref.optional);
    const value = secret && secretEntries(secret).get(ref.key);
    if (secret && value === undefined && !ref.optional) {
      throw new TranslateError(CREATE_CONTAINER_CONFIG_ERROR, `couldn't find key ${ref.key} in Secret ${ns}/${ref.name}`, true);
    }
    return value === undefined ? undefined : { name, value: literal(value.toString('utf8')) };
  }
  if (from.fieldRef) {
    const path = from.fieldRef.fieldPath;
    if (isRuntimeField(path)) return { name, value: '', valueFrom: { fieldRef: { fieldPath: path } } };
    return { name, value: literal(podFieldValue(ctx, from.fieldRef, false)) };
  }
  if (from.resourceFieldRef) return { name, value: resourceFieldValue(ctx, from.resourceFieldRef, container) };
  throw new TranslateError('UnsupportedEnvVar', `env var ${name} uses a valueFrom source CCI cannot resolve; use value, configMapKeyRef, secretKeyRef, fieldRef or resourceFieldRef`);
}

export function containerEnv(ctx: TranslateContext, container: V1Container, serviceEnv: readonly CciEnvVar[]): CciEnvVar[] {
  const out: CciEnvVar[] = [...serviceEnv, ...envFromVars(ctx, container)];
  for (const entry of container.env ?? []) {
    const v = envVar(ctx, container, entry.name, entry);
    if (v) out.push(v);
  }
  return out;
}

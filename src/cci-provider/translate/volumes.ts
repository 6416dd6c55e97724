// Pod volumes as CCI carries them: configMap, secret, downwardAPI and projected volumes
// become their files (CCI cannot read the cluster), emptyDir stays, hostPath only for
// /etc/localtime; anything else cannot burst.
import type { V1DownwardAPIVolumeFile, V1KeyToPath, V1Pod, V1Volume, V1VolumeMount, V1VolumeProjection } from '@kubernetes/client-node';
import type { CciFile, CciVolume } from '../../cci/types.ts';
import { descendingPathProblems, fileModeProblem, nonReservedPathProblems, volumeNameProblem } from '../../kube/volume-rules.ts';
import {
  configMapEntries, CREATE_CONTAINER_CONFIG_ERROR, requireConfigMap, requireSecret, secretEntries, TranslateError, type TranslateContext,
} from './context.ts';
import { podFieldValue, resourceFieldValue } from './downward.ts';

/** The kubelet's default file mode for configMap/secret/downwardAPI/projected volumes (0644). */
export const DEFAULT_FILE_MODE = 0o644;
export const UNSUPPORTED_VOLUME = 'UnsupportedVolume';
/** What kube-apiserver would have refused (a name, mode or path): never sent to CCI. */
export const INVALID_VOLUME = 'InvalidVolume';
/** The kubelet's mode for a ServiceAccount token when the pod has an fsGroup (group-readable after ownership). */
const TOKEN_MODE_WITH_FS_GROUP = 0o600;
const SUPPORTED = 'configMap, secret, emptyDir, downwardAPI, projected, and hostPath /etc/localtime';

const file = (path: string, data: Buffer, mode: number | undefined): CciFile =>
  mode === undefined ? { path, data: data.toString('base64') } : { path, data: data.toString('base64'), mode };

/** Keys to files as the kubelet's MakePayload: every key, or only the listed items. */
function keyFiles(entries: Map<string, Buffer> | undefined, items: V1KeyToPath[] | undefined, optional: boolean | undefined, missingKey: (key: string) => string): CciFile[] {
  if (!entries) return [];
  if (!items || items.length === 0) return [...entries].map(([key, data]) => file(key, data, undefined));
  const out: CciFile[] = [];
  for (const item of items) {
    const data = entries.get(item.key);
    if (data === undefined) {
      if (optional) continue;
      throw new TranslateError(CREATE_CONTAINER_CONFIG_ERROR, missingKey(item.key), true);
    }
    out.push(file(item.path, data, item.mode));
  }
  return out;
}

function configMapFiles(ctx: TranslateContext, src: { name?: string; items?: V1KeyToPath[]; optional?: boolean }): CciFile[] {
  const cm = requireConfigMap(ctx, src.name ?? '', src.optional);
  return keyFiles(cm && configMapEntries(cm), src.items, src.optional, (k) => `configmap references non-existent config key: ${k}`);
}

function secretFiles(ctx: TranslateContext, name: string, src: { items?: V1KeyToPath[]; optional?: boolean }): CciFile[] {
  const secret = requireSecret(ctx, name, src.optional);
  return keyFiles(secret && secretEntries(secret), src.items, src.optional, (k) => `references non-existent secret key: ${k}`);
}

function downwardFiles(ctx: TranslateContext, items: V1DownwardAPIVolumeFile[] | undefined): CciFile[] {
  return (items ?? []).map((item) => {
    let text: string;
    if (item.fieldRef) text = podFieldValue(ctx, item.fieldRef, true);
    else if (item.resourceFieldRef) text = resourceFieldValue(ctx, item.resourceFieldRef, undefined);
    else throw new TranslateError(UNSUPPORTED_VOLUME, `downwardAPI item ${JSON.stringify(item.path)} has neither fieldRef nor resourceFieldRef`);
    return file(item.path, Buffer.from(text, 'utf8'), item.mode);
  });
}

function projectionFiles(ctx: TranslateContext, src: V1VolumeProjection): CciFile[] {
  if (src.configMap) return configMapFiles(ctx, src.configMap);
  if (src.secret) return secretFiles(ctx, src.secret.name ?? '', src.secret);
  if (src.downwardAPI) return downwardFiles(ctx, src.downwardAPI.items);
  // Validated by volumeRefusal: what is left is the ServiceAccount token.
  const token = ctx.serviceAccountToken;
  if (token === undefined) {
    const sa = ctx.pod.spec?.serviceAccountName ?? 'default';
    throw new TranslateError(CREATE_CONTAINER_CONFIG_ERROR, `failed to fetch token: no token for service account ${JSON.stringify(sa)} is available yet`, true);
  }
  const mode = ctx.pod.spec?.securityContext?.fsGroup === undefined ? undefined : TOKEN_MODE_WITH_FS_GROUP;
  return [file(src.serviceAccountToken!.path, Buffer.from(token, 'utf8'), mode)];
}

const PROJECTIONS = ['configMap', 'secret', 'downwardAPI', 'serviceAccountToken'] as const;
const VOLUMES = ['emptyDir', 'configMap', 'secret', 'downwardAPI', 'projected'] as const;

const setKey = <T extends object>(o: T, skip = ''): string =>
  Object.keys(o).find((k) => k !== skip && o[k as keyof T] !== undefined) ?? 'unknown';

/** kube-apiserver's volume rules (src/kube/volume-rules.ts): each broken one as `field value: problem`. */
function invalidFields(v: V1Volume): string[] {
  const out: string[] = [];
  const check = (field: string, value: unknown, problems: string[]): void => {
    for (const p of problems) out.push(`${field} ${JSON.stringify(value)}: ${p}`);
  };
  const mode = (field: string, m: number | undefined): void => check(field, m, m === undefined ? [] : [fileModeProblem(m)].filter((p) => p !== undefined));
  const items = (field: string, list: { path: string; mode?: number }[] | undefined): void => (list ?? []).forEach((item, i) => {
    check(`${field}[${i}].path`, item.path, nonReservedPathProblems(item.path ?? ''));
    mode(`${field}[${i}].mode`, item.mode);
  });
  check('name', v.name, [volumeNameProblem(v.name)].filter((p) => p !== undefined));
  for (const kind of ['configMap', 'secret', 'downwardAPI', 'projected'] as const) mode(`${kind}.defaultMode`, v[kind]?.defaultMode);
  items('configMap.items', v.configMap?.items);
  items('secret.items', v.secret?.items);
  items('downwardAPI.items', v.downwardAPI?.items);
  (v.projected?.sources ?? []).forEach((src, i) => {
    items(`projected.sources[${i}].configMap.items`, src.configMap?.items);
    items(`projected.sources[${i}].secret.items`, src.secret?.items);
    items(`projected.sources[${i}].downwardAPI.items`, src.downwardAPI?.items);
    if (src.serviceAccountToken) check(`projected.sources[${i}].serviceAccountToken.path`, src.serviceAccountToken.path, nonReservedPathProblems(src.serviceAccountToken.path ?? ''));
  });
  return out;
}

/** A container's mounts whose subPath kube-apiserver would refuse (absolute, or with a `..`). */
export function subPathRefusal(pod: V1Pod): TranslateError | undefined {
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const m of c.volumeMounts ?? ([] as V1VolumeMount[])) {
      const problems = m.subPath ? descendingPathProblems(m.subPath) : [];
      if (problems.length > 0) {
        return new TranslateError(INVALID_VOLUME, `container ${JSON.stringify(c.name)} mounts volume ${JSON.stringify(m.name)} at subPath ${JSON.stringify(m.subPath)}, which ${problems.join(' and ')}`);
      }
    }
  }
  return undefined;
}

/** Why a volume cannot burst, or undefined when CCI can carry it. Checked before anything is resolved. */
export function volumeRefusal(v: V1Volume): TranslateError | undefined {
  const invalid = invalidFields(v);
  if (invalid.length > 0) return new TranslateError(INVALID_VOLUME, `volume ${JSON.stringify(v.name)} is invalid: ${invalid.join('; ')}`);
  const name = JSON.stringify(v.name);
  if (v.hostPath) {
    if (v.hostPath.path.replace(/\/+$/, '') === '/etc/localtime') return undefined;
    return new TranslateError(UNSUPPORTED_VOLUME,
      `volume ${name} is hostPath ${JSON.stringify(v.hostPath.path)}; CCI has no host filesystem (only /etc/localtime is allowed): use an emptyDir, configMap or secret volume, or keep this pod off the virtual node`);
  }
  const bad = v.projected?.sources?.find((src) => !PROJECTIONS.some((k) => src[k] !== undefined));
  if (bad) {
    return new TranslateError(UNSUPPORTED_VOLUME,
      `projected volume ${name} has a ${setKey(bad)} source, which CCI cannot provide; use configMap, secret, downwardAPI or serviceAccountToken sources`);
  }
  if (VOLUMES.some((k) => v[k] !== undefined)) return undefined;
  return new TranslateError(UNSUPPORTED_VOLUME,
    `volume ${name} is a ${setKey(v, 'name')} volume, which CCI cannot mount; burst pods support ${SUPPORTED}: change the volume or keep this pod off the virtual node`);
}

function translateVolume(ctx: TranslateContext, v: V1Volume): CciVolume {
  const refusal = volumeRefusal(v);
  if (refusal) throw refusal;
  const name = v.name;
  const defaultMode = (m: number | undefined) => m ?? DEFAULT_FILE_MODE;
  if (v.hostPath) return { name, hostPath: { path: '/etc/localtime' } };
  if (v.emptyDir) {
    const medium = v.emptyDir.medium === 'Memory' ? 'Memory' : '';
    return { name, emptyDir: v.emptyDir.sizeLimit === undefined ? { medium } : { medium, sizeLimit: v.emptyDir.sizeLimit } };
  }
  if (v.configMap) return { name, files: { items: configMapFiles(ctx, v.configMap), defaultMode: defaultMode(v.configMap.defaultMode) } };
  if (v.secret) return { name, files: { items: secretFiles(ctx, v.secret.secretName ?? '', v.secret), defaultMode: defaultMode(v.secret.defaultMode) } };
  if (v.downwardAPI) return { name, files: { items: downwardFiles(ctx, v.downwardAPI.items), defaultMode: defaultMode(v.downwardAPI.defaultMode) } };
  // volumeRefusal let it through, so it is projected.
  const items = (v.projected!.sources ?? []).flatMap((s) => projectionFiles(ctx, s));
  return { name, files: { items, defaultMode: defaultMode(v.projected!.defaultMode) } };
}

export function translateVolumes(ctx: TranslateContext): CciVolume[] {
  return (ctx.pod.spec?.volumes ?? []).map((v) => translateVolume(ctx, v));
}

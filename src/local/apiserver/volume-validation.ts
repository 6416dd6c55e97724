// Volume sources and mounts as kube-apiserver validates them: file modes 0-0777, file paths
// relative with no `..` (and not starting with `..`), subPaths relative with no `..`.
import { descendingPathProblems, fileModeProblem, nonReservedPathProblems } from '../../kube/volume-rules.ts';
import type { StatusCause } from './errors.ts';
import { isObject, type JsonObject } from './patch.ts';
import { invalidValue, required } from './causes.ts';

const list = (v: unknown): JsonObject[] => (Array.isArray(v) ? v.filter(isObject) : []);

function mode(value: unknown, field: string): StatusCause[] {
  if (value === undefined) return [];
  const problem = fileModeProblem(value);
  return problem ? [invalidValue(field, value, problem)] : [];
}

function filePath(value: unknown, field: string): StatusCause[] {
  if (typeof value !== 'string' || value === '') return [required(field)];
  return nonReservedPathProblems(value).map((p) => invalidValue(field, value, p));
}

function keyToPaths(items: unknown, field: string): StatusCause[] {
  return list(items).flatMap((item, i) => [
    ...(typeof item.key === 'string' && item.key !== '' ? [] : [required(`${field}[${i}].key`)]),
    ...filePath(item.path, `${field}[${i}].path`),
    ...mode(item.mode, `${field}[${i}].mode`),
  ]);
}

function downwardItems(items: unknown, field: string): StatusCause[] {
  return list(items).flatMap((item, i) => [...filePath(item.path, `${field}[${i}].path`), ...mode(item.mode, `${field}[${i}].mode`)]);
}

function projectionSources(sources: unknown, field: string): StatusCause[] {
  return list(sources).flatMap((src, i) => {
    const at = `${field}[${i}]`;
    if (isObject(src.configMap)) return keyToPaths(src.configMap.items, `${at}.configMap.items`);
    if (isObject(src.secret)) return keyToPaths(src.secret.items, `${at}.secret.items`);
    if (isObject(src.downwardAPI)) return downwardItems(src.downwardAPI.items, `${at}.downwardAPI.items`);
    if (isObject(src.serviceAccountToken)) return filePath(src.serviceAccountToken.path, `${at}.serviceAccountToken.path`);
    return [];
  });
}

/** The causes for one volume's source, at `spec.volumes[i]`. */
export function validateVolumeSource(v: JsonObject, field: string): StatusCause[] {
  for (const kind of ['configMap', 'secret'] as const) {
    const src = v[kind];
    if (isObject(src)) return [...mode(src.defaultMode, `${field}.${kind}.defaultMode`), ...keyToPaths(src.items, `${field}.${kind}.items`)];
  }
  if (isObject(v.downwardAPI)) return [...mode(v.downwardAPI.defaultMode, `${field}.downwardAPI.defaultMode`), ...downwardItems(v.downwardAPI.items, `${field}.downwardAPI.items`)];
  if (isObject(v.projected)) return [...mode(v.projected.defaultMode, `${field}.projected.defaultMode`), ...projectionSources(v.projected.sources, `${field}.projected.sources`)];
  return [];
}

/** A mount's subPath, at `...volumeMounts[j]`. */
export function validateSubPath(m: JsonObject, field: string): StatusCause[] {
  if (typeof m.subPath !== 'string' || m.subPath === '') return [];
  return descendingPathProblems(m.subPath).map((p) => invalidValue(`${field}.subPath`, m.subPath, p));
}

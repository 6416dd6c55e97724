// Manifests as `kubectl apply -f` reads them: YAML with any number of documents, or JSON, with
// List kinds flattened. Each object that creates pods yields its pod template as the pod it
// would create (owner, namespace and labels included), so the translator sees what a burst
// node would see.
import { errorMessage } from '../log/error-message.ts';
import type { V1ConfigMap, V1ObjectMeta, V1Pod, V1PodSpec, V1Secret, V1Service } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

/** More than this is refused before parsing: a manifest set is kilobytes, never megabytes. */
export const MAX_INPUT_BYTES = 8 * 1024 * 1024;
const MAX_LIST_DEPTH = 4;

/** The input cannot be read as manifests at all (exit 2). */
export class ManifestError extends Error {
  override name = 'ManifestError';
}

export interface KubeObject {
  apiVersion?: string;
  kind: string;
  metadata?: V1ObjectMeta;
  [field: string]: unknown;
}

export interface Located {
  object: KubeObject;
  /** The file it came from ("-" for standard input). */
  file: string;
  /** 1-based position of the document in the file (items of a List share their List's). */
  document: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const shown = (file: string): string => (file === '-' ? 'standard input' : file);

function flatten(value: unknown, file: string, document: number, depth: number, out: Located[]): void {
  if (value === null || value === undefined) return;
  if (!isRecord(value) || typeof value.kind !== 'string' || value.kind === '') {
    throw new ManifestError(`${shown(file)}, document ${document}: not a Kubernetes object (it needs a "kind"); give YAML or JSON manifests such as kubectl apply -f takes`);
  }
  if (value.kind.endsWith('List') && Array.isArray(value.items)) {
    if (depth >= MAX_LIST_DEPTH) throw new ManifestError(`${shown(file)}, document ${document}: Lists nested more than ${MAX_LIST_DEPTH} deep`);
    for (const item of value.items) flatten(item, file, document, depth + 1, out);
    return;
  }
  out.push({ object: value as KubeObject, file, document });
}

/** Every object in one file's text, in order; throws ManifestError naming the document that is not YAML/JSON. */
export function parseManifests(text: string, file = '-'): Located[] {
  if (Buffer.byteLength(text) > MAX_INPUT_BYTES) throw new ManifestError(`${shown(file)} is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB`);
  const out: Located[] = [];
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return out;
  docs.forEach((doc, i) => {
    const error = doc.errors[0];
    if (error) throw new ManifestError(`${shown(file)}, document ${i + 1}: ${error.message.split('\n')[0]!.replace(/:$/, '')}`);
    let value: unknown;
    try {
      // Aliases are expanded into copies: bounded, so a "billion laughs" document cannot blow up.
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      throw new ManifestError(`${shown(file)}, document ${i + 1}: ${errorMessage(err)}`);
    }
    flatten(value, file, i + 1, 0, out);
  });
  return out;
}

export interface PodSource {
  kind: string;
  namespace: string;
  name: string;
  file: string;
  document: number;
  /** Where the pod spec sits in the object: "spec" for a Pod, "spec.template.spec" for a Deployment. */
  specPath: string;
}

export interface PodCandidate {
  source: PodSource;
  /** The pod the object would create, or why the object has no usable pod spec. */
  pod: V1Pod | { invalid: string };
}

/** Kind → the path of its pod template and the kind of the pods' controller. */
const TEMPLATES: Readonly<Record<string, { path: readonly string[]; owner: string }>> = {
  Deployment: { path: ['spec', 'template'], owner: 'ReplicaSet' },
  ReplicaSet: { path: ['spec', 'template'], owner: 'ReplicaSet' },
  StatefulSet: { path: ['spec', 'template'], owner: 'StatefulSet' },
  DaemonSet: { path: ['spec', 'template'], owner: 'DaemonSet' },
  Job: { path: ['spec', 'template'], owner: 'Job' },
  CronJob: { path: ['spec', 'jobTemplate', 'spec', 'template'], owner: 'Job' },
  ReplicationController: { path: ['spec', 'template'], owner: 'ReplicationController' },
  PodTemplate: { path: ['template'], owner: '' },
};

export const POD_KINDS: readonly string[] = ['Pod', ...Object.keys(TEMPLATES)];

function at(object: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((v, key) => (isRecord(v) ? v[key] : undefined), object);
}

/** Quantities may be written as YAML numbers (`cpu: 1`); the API server stores them as strings. */
function quantitiesAsStrings(spec: V1PodSpec): void {
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    for (const list of [c.resources?.limits, c.resources?.requests]) {
      for (const [k, v] of Object.entries(list ?? {})) if (typeof v === 'number') list![k] = String(v);
    }
  }
  for (const v of spec.volumes ?? []) {
    if (typeof v.emptyDir?.sizeLimit === 'number') v.emptyDir.sizeLimit = String(v.emptyDir.sizeLimit);
  }
}

function invalidSpec(spec: unknown): string | undefined {
  if (!isRecord(spec)) return 'has no pod spec';
  const containers = spec.containers;
  if (!Array.isArray(containers) || containers.length === 0) return 'has no containers';
  for (const list of ['initContainers', 'containers']) {
    const items = spec[list] ?? [];
    if (!Array.isArray(items) || items.some((c) => !isRecord(c) || typeof c.name !== 'string' || c.name === '')) {
      return `has a ${list} entry without a name`;
    }
  }
  return undefined;
}

/** The pod that a Pod or a workload's template stands for, as its controller would create it. */
function candidate({ object, file, document }: Located): PodCandidate | undefined {
  const meta = object.metadata ?? {};
  const namespace = meta.namespace ?? 'default';
  const name = meta.name ?? '';
  if (object.kind === 'Pod') {
    const source = { kind: 'Pod', namespace, name, file, document, specPath: 'spec' };
    const invalid = invalidSpec(object.spec);
    if (invalid) return { source, pod: { invalid: `spec ${invalid}` } };
    const spec = structuredClone(object.spec) as V1PodSpec;
    quantitiesAsStrings(spec);
    return { source, pod: { apiVersion: 'v1', kind: 'Pod', metadata: { ...structuredClone(meta), namespace, uid: 'burstlet-check' }, spec } };
  }
  const shape = Object.hasOwn(TEMPLATES, object.kind) ? TEMPLATES[object.kind] : undefined;
  if (!shape) return undefined;
  const source = { kind: object.kind, namespace, name, file, document, specPath: [...shape.path, 'spec'].join('.') };
  const template = at(object, shape.path);
  const invalid = invalidSpec(at(template, ['spec']));
  if (invalid) return { source, pod: { invalid: `${shape.path.join('.')} ${invalid}` } };
  const tmpl = structuredClone(template) as { metadata?: V1ObjectMeta; spec: V1PodSpec };
  quantitiesAsStrings(tmpl.spec);
  // A StatefulSet's first pod is <name>-0; the others' names carry a random suffix.
  const podName = object.kind === 'StatefulSet' ? `${name}-0` : name;
  const owner = shape.owner ? [{ apiVersion: 'apps/v1', kind: shape.owner, name, uid: '', controller: true }] : undefined;
  return {
    source,
    pod: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { ...tmpl.metadata, name: podName, namespace, uid: 'burstlet-check', ...(owner ? { ownerReferences: owner } : {}) },
      spec: tmpl.spec,
    },
  };
}

export interface ManifestSet {
  candidates: PodCandidate[];
  services: { service: V1Service; file: string; document: number }[];
  /** Objects the pods may reference, by namespace then name. */
  configMaps: Map<string, Map<string, V1ConfigMap>>;
  secrets: Map<string, Map<string, V1Secret>>;
  /** Objects that neither create pods nor are read by them. */
  other: { kind: string; name: string; file: string; document: number }[];
}

function byNamespace<T extends { metadata?: V1ObjectMeta }>(map: Map<string, Map<string, T>>, object: T): void {
  const ns = object.metadata?.namespace ?? 'default';
  let inNs = map.get(ns);
  if (!inNs) map.set(ns, (inNs = new Map()));
  inNs.set(object.metadata?.name ?? '', object);
}

/** stringData merged into data, base64, as the API server stores a Secret. */
function withStringData(secret: V1Secret & { stringData?: Record<string, string> }): V1Secret {
  const { stringData, ...rest } = secret;
  if (!isRecord(stringData)) return rest;
  const data = { ...rest.data };
  for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(String(v)).toString('base64');
  return { ...rest, data };
}

/** Sorts the objects into pods to check and what those pods may read. */
export function sortManifests(objects: readonly Located[]): ManifestSet {
  const set: ManifestSet = { candidates: [], services: [], configMaps: new Map(), secrets: new Map(), other: [] };
  for (const located of objects) {
    const { object, file, document } = located;
    const found = candidate(located);
    if (found) set.candidates.push(found);
    else if (object.kind === 'Service') set.services.push({ service: object as V1Service, file, document });
    else if (object.kind === 'ConfigMap') byNamespace(set.configMaps, object as V1ConfigMap);
    else if (object.kind === 'Secret') byNamespace(set.secrets, withStringData(object as V1Secret & { stringData?: Record<string, string> }));
    else set.other.push({ kind: object.kind, name: object.metadata?.name ?? '', file, document });
  }
  return set;
}

// Strategic-merge-patch metadata: which lists merge by which key, mirroring the
// `patchStrategy`/`patchMergeKey` struct tags of k8s.io/api for the kinds served here.
// Lists not described are atomic (replaced whole), as in Kubernetes.

export interface FieldMeta {
  /** Present for lists that merge; '' for primitive lists merged as sets (finalizers). */
  mergeKey?: string;
  retainKeys?: boolean;
  /** Schema of the list's items or of the nested object. */
  fields?: PatchSchema;
}

export type PatchSchema = Record<string, FieldMeta>;

const merge = (mergeKey: string, fields?: PatchSchema): FieldMeta => (fields ? { mergeKey, fields } : { mergeKey });
const obj = (fields: PatchSchema): FieldMeta => ({ fields });

const OBJECT_META: PatchSchema = { finalizers: merge(''), ownerReferences: merge('uid') };

const CONTAINER: PatchSchema = {
  ports: merge('containerPort'),
  env: merge('name'),
  volumeMounts: merge('mountPath'),
  volumeDevices: merge('devicePath'),
};

const POD_SPEC: PatchSchema = {
  containers: merge('name', CONTAINER),
  initContainers: merge('name', CONTAINER),
  ephemeralContainers: merge('name', CONTAINER),
  volumes: { mergeKey: 'name', retainKeys: true },
  imagePullSecrets: merge('name'),
  hostAliases: merge('ip'),
};

const CONDITIONS = merge('type');

const TEMPLATE = obj({ metadata: obj(OBJECT_META), spec: obj(POD_SPEC) });
const workload = (spec: PatchSchema = {}): PatchSchema => ({
  metadata: obj(OBJECT_META),
  spec: obj({ template: TEMPLATE, ...spec }),
  status: obj({ conditions: CONDITIONS }),
});

export const PATCH_SCHEMAS: Record<string, PatchSchema> = {
  Deployment: workload({ strategy: { retainKeys: true } }),
  ReplicaSet: workload(),
  StatefulSet: workload(),
  Job: workload(),
  Pod: {
    metadata: obj(OBJECT_META),
    spec: obj(POD_SPEC),
    status: obj({ conditions: CONDITIONS, podIPs: merge('ip'), hostIPs: merge('ip') }),
  },
  Node: {
    metadata: obj(OBJECT_META),
    spec: obj({ podCIDRs: merge('') }),
    status: obj({ conditions: CONDITIONS, addresses: merge('type') }),
  },
  Service: {
    metadata: obj(OBJECT_META),
    spec: obj({ ports: merge('port') }),
    status: obj({ conditions: CONDITIONS }),
  },
  Namespace: { metadata: obj(OBJECT_META), status: obj({ conditions: CONDITIONS }) },
  ServiceAccount: { metadata: obj(OBJECT_META), secrets: merge('name') },
};

export function patchSchemaFor(kind: string): PatchSchema {
  return PATCH_SCHEMAS[kind] ?? { metadata: obj(OBJECT_META) };
}

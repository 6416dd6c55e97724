// Decoding of the Kubernetes protobuf request bodies kubectl sends for the kinds it creates
// with typed clients (create namespace/configmap/secret/serviceaccount/token/service/deployment/job):
// the "k8s\0" + runtime.Unknown envelope, then the object, by field numbers from
// k8s.io/api's generated.proto. Responses are always JSON, which such clients accept.
import { badRequest } from './errors.ts';
import type { JsonObject } from './patch.ts';
import { errorMessage } from '../../log/error-message.ts';

type FieldType = 'string' | 'bytes' | 'int' | 'bool' | Schema | { map: 'string' | 'bytes' | 'quantity' };
interface Field {
  name: string;
  type: FieldType;
  repeated?: boolean;
  /** A pointer field in Go (`*int32 replicas`): present means set, so a 0 is kept. */
  keepZero?: boolean;
}
type Schema = Record<number, Field>;

const f = (name: string, type: FieldType, repeated = false): Field => ({ name, type, repeated });
const ptr = (name: string, type: FieldType): Field => ({ name, type, keepZero: true });

const OWNER_REF: Schema = { 1: f('kind', 'string'), 3: f('name', 'string'), 4: f('uid', 'string'), 5: f('apiVersion', 'string'), 6: ptr('controller', 'bool'), 7: ptr('blockOwnerDeletion', 'bool') };
const OBJECT_META: Schema = {
  1: f('name', 'string'),
  2: f('generateName', 'string'),
  3: f('namespace', 'string'),
  5: f('uid', 'string'),
  6: f('resourceVersion', 'string'),
  7: f('generation', 'int'),
  11: f('labels', { map: 'string' }),
  12: f('annotations', { map: 'string' }),
  13: f('ownerReferences', OWNER_REF, true),
  14: f('finalizers', 'string', true),
};
const OBJECT_REF: Schema = { 1: f('kind', 'string'), 2: f('namespace', 'string'), 3: f('name', 'string'), 4: f('uid', 'string'), 5: f('apiVersion', 'string') };
const INT_OR_STRING: Schema = { 1: f('type', 'int'), 2: f('intVal', 'int'), 3: f('strVal', 'string') };
const SERVICE_PORT: Schema = { 1: f('name', 'string'), 2: f('protocol', 'string'), 3: f('port', 'int'), 4: f('targetPort', INT_OR_STRING), 5: f('nodePort', 'int'), 6: f('appProtocol', 'string') };

// The pod template fields kubectl's generators (create deployment, create job) fill in.
const CONTAINER: Schema = {
  1: f('name', 'string'), 2: f('image', 'string'), 3: f('command', 'string', true), 4: f('args', 'string', true), 5: f('workingDir', 'string'),
  6: f('ports', { 1: f('name', 'string'), 2: f('hostPort', 'int'), 3: f('containerPort', 'int'), 4: f('protocol', 'string'), 5: f('hostIP', 'string') }, true),
  7: f('env', { 1: f('name', 'string'), 2: f('value', 'string') }, true),
  8: f('resources', { 1: f('limits', { map: 'quantity' }), 2: f('requests', { map: 'quantity' }) }),
  13: f('terminationMessagePath', 'string'), 14: f('imagePullPolicy', 'string'), 20: f('terminationMessagePolicy', 'string'),
};
const POD_SPEC: Schema = {
  2: f('containers', CONTAINER, true), 20: f('initContainers', CONTAINER, true), 3: f('restartPolicy', 'string'), 4: ptr('terminationGracePeriodSeconds', 'int'),
  6: f('dnsPolicy', 'string'), 7: f('nodeSelector', { map: 'string' }), 8: f('serviceAccountName', 'string'), 19: f('schedulerName', 'string'),
  22: f('tolerations', { 1: f('key', 'string'), 2: f('operator', 'string'), 3: f('value', 'string'), 4: f('effect', 'string'), 5: ptr('tolerationSeconds', 'int') }, true),
};
const POD_TEMPLATE: Schema = { 1: f('metadata', OBJECT_META), 2: f('spec', POD_SPEC) };
const LABEL_SELECTOR: Schema = { 1: f('matchLabels', { map: 'string' }), 2: f('matchExpressions', { 1: f('key', 'string'), 2: f('operator', 'string'), 3: f('values', 'string', true) }, true) };

const RESOURCE_ATTRIBUTES: Schema = {
  1: f('namespace', 'string'),
  2: f('verb', 'string'),
  3: f('group', 'string'),
  4: f('version', 'string'),
  5: f('resource', 'string'),
  6: f('subresource', 'string'),
  7: f('name', 'string'),
};
const NON_RESOURCE_ATTRIBUTES: Schema = { 1: f('path', 'string'), 2: f('verb', 'string') };

const SCHEMAS: Record<string, Schema> = {
  SelfSubjectReview: { 1: f('metadata', OBJECT_META) },
  SelfSubjectAccessReview: { 1: f('metadata', OBJECT_META), 2: f('spec', { 1: f('resourceAttributes', RESOURCE_ATTRIBUTES), 2: f('nonResourceAttributes', NON_RESOURCE_ATTRIBUTES) }) },
  SubjectAccessReview: {
    1: f('metadata', OBJECT_META),
    2: f('spec', { 1: f('resourceAttributes', RESOURCE_ATTRIBUTES), 2: f('nonResourceAttributes', NON_RESOURCE_ATTRIBUTES), 3: f('user', 'string'), 4: f('groups', 'string', true), 6: f('uid', 'string') }),
  },
  TokenReview: { 1: f('metadata', OBJECT_META), 2: f('spec', { 1: f('token', 'string'), 2: f('audiences', 'string', true) }) },
  Namespace: { 1: f('metadata', OBJECT_META), 2: f('spec', { 1: f('finalizers', 'string', true) }) },
  ConfigMap: { 1: f('metadata', OBJECT_META), 2: f('data', { map: 'string' }), 3: f('binaryData', { map: 'bytes' }), 4: ptr('immutable', 'bool') },
  Secret: { 1: f('metadata', OBJECT_META), 2: f('data', { map: 'bytes' }), 3: f('type', 'string'), 4: f('stringData', { map: 'string' }), 5: ptr('immutable', 'bool') },
  ServiceAccount: { 1: f('metadata', OBJECT_META), 2: f('secrets', OBJECT_REF, true), 3: f('imagePullSecrets', { 1: f('name', 'string') }, true), 4: ptr('automountServiceAccountToken', 'bool') },
  TokenRequest: {
    1: f('metadata', OBJECT_META),
    2: f('spec', { 1: f('audiences', 'string', true), 3: f('boundObjectRef', { 1: f('kind', 'string'), 2: f('apiVersion', 'string'), 3: f('name', 'string'), 4: f('uid', 'string') }), 4: f('expirationSeconds', 'int') }),
  },
  Deployment: {
    1: f('metadata', OBJECT_META),
    2: f('spec', {
      1: ptr('replicas', 'int'), 2: f('selector', LABEL_SELECTOR), 3: f('template', POD_TEMPLATE),
      4: f('strategy', { 1: f('type', 'string'), 2: f('rollingUpdate', { 1: f('maxUnavailable', INT_OR_STRING), 2: f('maxSurge', INT_OR_STRING) }) }),
      5: f('minReadySeconds', 'int'), 6: ptr('revisionHistoryLimit', 'int'), 7: f('paused', 'bool'), 9: ptr('progressDeadlineSeconds', 'int'),
    }),
  },
  Job: {
    1: f('metadata', OBJECT_META),
    2: f('spec', {
      1: ptr('parallelism', 'int'), 2: ptr('completions', 'int'), 3: ptr('activeDeadlineSeconds', 'int'), 4: f('selector', LABEL_SELECTOR), 5: ptr('manualSelector', 'bool'),
      6: f('template', POD_TEMPLATE), 7: ptr('backoffLimit', 'int'), 8: ptr('ttlSecondsAfterFinished', 'int'), 9: f('completionMode', 'string'), 10: ptr('suspend', 'bool'),
    }),
  },
  Service: {
    1: f('metadata', OBJECT_META),
    2: f('spec', {
      1: f('ports', SERVICE_PORT, true),
      2: f('selector', { map: 'string' }),
      3: f('clusterIP', 'string'),
      4: f('type', 'string'),
      5: f('externalIPs', 'string', true),
      7: f('sessionAffinity', 'string'),
      10: f('externalName', 'string'),
    }),
  },
};

class Reader {
  pos = 0;
  readonly buf: Buffer;
  constructor(buf: Buffer) {
    this.buf = buf;
  }
  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
    }
  }
  bytes(): Buffer {
    const len = this.varint();
    if (this.pos + len > this.buf.length) throw new Error('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

function decodeMessage(buf: Buffer, schema: Schema): JsonObject {
  const out: JsonObject = {};
  const r = new Reader(buf);
  while (r.pos < buf.length) {
    const tag = r.varint();
    const field = schema[Math.floor(tag / 8)];
    const wire = tag & 7;
    const scalar = field?.type === 'int' || field?.type === 'bool';
    if (!field || wire !== (scalar ? 0 : 2)) {
      r.skip(wire);
      continue;
    }
    const { name, type } = field;
    let value: unknown;
    if (type === 'int') value = r.varint();
    else if (type === 'bool') value = r.varint() !== 0;
    else if (type === 'string') value = r.bytes().toString('utf8');
    else if (type === 'bytes') value = r.bytes().toString('base64');
    else if ('map' in type) {
      // A Quantity is a message holding its string form.
      const value = type.map === 'quantity' ? { 1: f('string', 'string') } : type.map;
      const entry = decodeMessage(r.bytes(), { 1: f('key', 'string'), 2: f('value', value) });
      const map = (out[name] ??= {}) as JsonObject;
      map[String(entry.key ?? '')] = type.map === 'quantity' ? ((entry.value as JsonObject | undefined)?.string ?? '') : (entry.value ?? '');
      continue;
    } else value = decodeMessage(r.bytes(), type);
    if (field.repeated) ((out[name] ??= []) as unknown[]).push(value);
    else out[name] = value;
  }
  // Go writes unset optional scalars as zero values; JSON would omit them (omitempty).
  if (schema !== INT_OR_STRING) {
    const keep = new Set(Object.values(schema).filter((x) => x.keepZero).map((x) => x.name));
    for (const [k, v] of Object.entries(out)) if ((v === '' || v === 0 || v === false) && !keep.has(k)) delete out[k];
  }
  return out;
}

function fromIntOrString(v: unknown): unknown {
  const x = v as { type?: number; intVal?: number; strVal?: string };
  return x.type === 1 ? (x.strVal ?? '') : (x.intVal ?? 0);
}

/** Decodes a protobuf-encoded object of `kind`; 415 for kinds this server cannot decode. */
export function decodeProtobuf(body: Buffer, expectedKind: string): JsonObject {
  if (body.length < 4 || body.subarray(0, 4).toString('latin1') !== 'k8s\0') throw badRequest('protobuf body without the k8s envelope');
  let envelope: JsonObject;
  try {
    envelope = decodeMessage(body.subarray(4), { 1: f('typeMeta', { 1: f('apiVersion', 'string'), 2: f('kind', 'string') }), 2: f('raw', 'bytes') });
  } catch (err) {
    throw badRequest(`malformed protobuf body: ${errorMessage(err)}`);
  }
  const typeMeta = (envelope.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const kind = typeMeta.kind || expectedKind;
  const schema = SCHEMAS[kind];
  if (!schema) {
    throw badRequest(`this server decodes protobuf only for ${Object.keys(SCHEMAS).join(', ')}; send ${kind} as application/json`);
  }
  let obj: JsonObject;
  try {
    obj = decodeMessage(Buffer.from(String(envelope.raw ?? ''), 'base64'), schema);
  } catch (err) {
    throw badRequest(`malformed protobuf ${kind}: ${errorMessage(err)}`);
  }
  const spec = obj.spec as { ports?: { targetPort?: unknown }[]; strategy?: { rollingUpdate?: Record<string, unknown> } } | undefined;
  for (const p of spec?.ports ?? []) if (p.targetPort !== undefined) p.targetPort = fromIntOrString(p.targetPort);
  const rolling = spec?.strategy?.rollingUpdate;
  for (const k of ['maxUnavailable', 'maxSurge']) if (rolling?.[k] !== undefined) rolling[k] = fromIntOrString(rolling[k]);
  return { apiVersion: typeMeta.apiVersion, kind, ...obj };
}

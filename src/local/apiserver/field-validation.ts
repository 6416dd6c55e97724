// Server-side field validation (fieldValidation=Strict|Warn|Ignore): reports fields the
// server does not know, for the top level, metadata, and the pod spec and containers where
// typos matter most. Kinds without a schema here accept any field.
import { isObject, type JsonObject } from './patch.ts';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

type Known = { fields: Set<string>; nested?: Record<string, Known>; items?: Record<string, Known> };

const set = (s: string): Set<string> => new Set(s.split(/\s+/).filter((x) => x !== ''));

const META = set(`name generateName namespace selfLink uid resourceVersion generation creationTimestamp deletionTimestamp
  deletionGracePeriodSeconds labels annotations ownerReferences finalizers managedFields`);

const CONTAINER: Known = {
  fields: set(`name image command args workingDir ports envFrom env resources resizePolicy restartPolicy volumeMounts volumeDevices
    livenessProbe readinessProbe startupProbe lifecycle terminationMessagePath terminationMessagePolicy imagePullPolicy
    securityContext stdin stdinOnce tty`),
};

const POD_SPEC: Known = {
  fields: set(`volumes initContainers containers ephemeralContainers restartPolicy terminationGracePeriodSeconds activeDeadlineSeconds
    dnsPolicy nodeSelector serviceAccountName serviceAccount automountServiceAccountToken nodeName hostNetwork hostPID hostIPC
    shareProcessNamespace securityContext imagePullSecrets hostname subdomain affinity schedulerName tolerations hostAliases
    priorityClassName priority dnsConfig readinessGates runtimeClassName enableServiceLinks preemptionPolicy overhead
    topologySpreadConstraints setHostnameAsFQDN os hostUsers schedulingGates resourceClaims resources`),
  items: { containers: CONTAINER, initContainers: CONTAINER },
};

const TEMPLATE: Known = { fields: set('metadata spec'), nested: { spec: POD_SPEC } };
const workload = (specFields: string): Known => ({ fields: set(`${TOP} spec status`), nested: { spec: { fields: set(`selector template ${specFields}`), nested: { template: TEMPLATE } } } });

const TOP = 'apiVersion kind metadata';
const SCHEMAS: Record<string, Known> = {
  Pod: { fields: set(`${TOP} spec status`), nested: { spec: POD_SPEC } },
  Service: { fields: set(`${TOP} spec status`) },
  Node: { fields: set(`${TOP} spec status`) },
  Namespace: { fields: set(`${TOP} spec status`) },
  ConfigMap: { fields: set(`${TOP} data binaryData immutable`) },
  Secret: { fields: set(`${TOP} data stringData type immutable`) },
  ServiceAccount: { fields: set(`${TOP} secrets imagePullSecrets automountServiceAccountToken`) },
  Lease: { fields: set(`${TOP} spec`) },
  EndpointSlice: { fields: set(`${TOP} addressType endpoints ports`) },
  Deployment: workload('replicas minReadySeconds strategy revisionHistoryLimit paused progressDeadlineSeconds'),
  ReplicaSet: workload('replicas minReadySeconds'),
  StatefulSet: workload(`replicas volumeClaimTemplates serviceName podManagementPolicy updateStrategy revisionHistoryLimit minReadySeconds
    persistentVolumeClaimRetentionPolicy ordinals`),
  Job: workload(`parallelism completions activeDeadlineSeconds podFailurePolicy successPolicy backoffLimit backoffLimitPerIndex maxFailedIndexes
    manualSelector ttlSecondsAfterFinished completionMode suspend podReplacementPolicy managedBy`),
};

function walk(value: JsonObject, known: Known, prefix: string, out: string[]): void {
  for (const [k, v] of Object.entries(value)) {
    const path = prefix === '' ? k : `${prefix}.${k}`;
    if (!known.fields.has(k)) {
      out.push(path);
      continue;
    }
    const nested = known.nested?.[k];
    if (nested && isObject(v)) walk(v, nested, path, out);
    const items = known.items?.[k];
    if (items && Array.isArray(v)) v.forEach((item, i) => isObject(item) && walk(item, items, `${path}[${i}]`, out));
  }
}

/** Paths of fields unknown to the server, e.g. ["spec.containers[0].imagee"]. */
export function checkUnknownFields(kind: string, body: JsonObject): string[] {
  const schema = SCHEMAS[kind];
  if (!schema) return [];
  const out: string[] = [];
  walk(body, schema, '', out);
  if (isObject(body.metadata)) for (const k of Object.keys(body.metadata)) if (!META.has(k)) out.push(`metadata.${k}`);
  return out;
}

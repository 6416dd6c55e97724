// apps/v1 Deployments, ReplicaSets, StatefulSets and batch/v1 Jobs as kube-apiserver's
// defaulting and registry strategies treat them: defaults on create, validation with the API's
// field paths and messages, and the fields an update may not change.
import { errorMessage } from '../../log/error-message.ts';
import type { StatusCause } from './errors.ts';
import { isObject, type JsonObject } from './patch.ts';
import { matchesLabels, selectorRequirements, type LabelSelectorObject } from './selectors.ts';
import type { KubeObject } from './store.ts';
import { forbiddenField, invalidValue, required } from './causes.ts';
import { canonicalJson, validatePodSpec } from './validation.ts';

export const WORKLOAD_KINDS: ReadonlySet<string> = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'Job']);
/** Kinds with a /scale subresource. */
export const SCALABLE_KINDS: ReadonlySet<string> = new Set(['Deployment', 'ReplicaSet', 'StatefulSet']);

/** The labels the API server puts on a Job's pods and selects them by (when the selector is not manual). */
export const JOB_LABELS = { controllerUid: 'batch.kubernetes.io/controller-uid', jobName: 'batch.kubernetes.io/job-name', legacyUid: 'controller-uid', legacyName: 'job-name' } as const;

const obj = (v: unknown): JsonObject => (isObject(v) ? v : {});

/** SetDefaults_PodSpec and SetDefaults_Container for a template (no admission defaults: those are the pods'). */
function defaultTemplate(template: unknown, defaultContainer: (c: JsonObject) => JsonObject): JsonObject {
  const t = obj(template);
  const spec = obj(t.spec);
  const containers = (list: unknown): unknown => (Array.isArray(list) ? list.map((c) => defaultContainer(obj(c))) : list);
  return {
    ...t,
    metadata: obj(t.metadata),
    spec: {
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      securityContext: {},
      schedulerName: 'default-scheduler',
      ...spec,
      containers: containers(spec.containers),
      ...(spec.initContainers === undefined ? {} : { initContainers: containers(spec.initContainers) }),
    },
  };
}

function jobDefaults(job: KubeObject, spec: JsonObject): JsonObject {
  const uid = job.metadata.uid ?? '';
  const name = job.metadata.name ?? '';
  const template = obj(spec.template);
  const generated = spec.manualSelector === true ? {} : {
    selector: { matchLabels: { [JOB_LABELS.controllerUid]: uid } },
    template: {
      ...template,
      metadata: {
        ...obj(template.metadata),
        labels: { ...obj(obj(template.metadata).labels), [JOB_LABELS.controllerUid]: uid, [JOB_LABELS.jobName]: name, [JOB_LABELS.legacyUid]: uid, [JOB_LABELS.legacyName]: name },
      },
    },
  };
  const bothUnset = spec.completions === undefined && spec.parallelism === undefined;
  return {
    parallelism: 1,
    ...(bothUnset ? { completions: 1 } : {}),
    backoffLimit: 6,
    completionMode: 'NonIndexed',
    suspend: false,
    podReplacementPolicy: 'TerminatingOrFailed',
    ...spec,
    ...generated,
  };
}

/** The object with the defaults of its kind, as stored on create. */
export function defaultWorkload(kind: string, o: KubeObject, defaultContainer: (c: JsonObject) => JsonObject): KubeObject {
  const spec = obj(o.spec);
  const withTemplate = (s: JsonObject): JsonObject => ({ ...s, template: defaultTemplate(s.template, defaultContainer) });
  switch (kind) {
    case 'Deployment':
      return {
        ...o,
        spec: withTemplate({
          replicas: 1,
          revisionHistoryLimit: 10,
          progressDeadlineSeconds: 600,
          ...spec,
          strategy: defaultStrategy(spec.strategy),
        }),
        status: {},
      };
    case 'ReplicaSet':
      return { ...o, spec: withTemplate({ replicas: 1, ...spec }), status: { replicas: 0 } };
    case 'StatefulSet':
      return {
        ...o,
        spec: withTemplate({
          replicas: 1,
          podManagementPolicy: 'OrderedReady',
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
          revisionHistoryLimit: 10,
          persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
          ...spec,
        }),
        status: { replicas: 0, availableReplicas: 0 },
      };
    case 'Job': {
      const defaulted = jobDefaults(o, spec);
      return { ...o, spec: { ...defaulted, template: defaultTemplate(defaulted.template, defaultContainer) }, status: {} };
    }
    default:
      return o;
  }
}

function defaultStrategy(strategy: unknown): JsonObject {
  const s = obj(strategy);
  const type = s.type ?? 'RollingUpdate';
  if (type !== 'RollingUpdate') return { ...s, type };
  return { ...s, type, rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%', ...obj(s.rollingUpdate) } };
}

/** Pod spec causes with their paths under the template ("spec.containers" → "spec.template.spec.containers"). */
function templateCauses(spec: JsonObject, prefix: string): StatusCause[] {
  return validatePodSpec(obj(obj(spec.template).spec)).map((c) => ({ ...c, field: c.field?.replace(/^spec/, `${prefix}.template.spec`) }));
}

function nonNegative(spec: JsonObject, field: string, prefix = 'spec'): StatusCause[] {
  const v = spec[field];
  if (v === undefined) return [];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return [invalidValue(`${prefix}.${field}`, v, 'must be greater than or equal to 0')];
  return [];
}

/** An int or a percentage ("25%"), as intstr.IntOrString. */
function intOrPercent(v: unknown, field: string): StatusCause[] {
  if (v === undefined) return [];
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return [];
  if (typeof v === 'string' && /^\d+%$/.test(v)) return Number(v.slice(0, -1)) > 100 ? [invalidValue(field, v, 'must not be greater than 100%')] : [];
  return [invalidValue(field, v, 'a valid percent string must be a numeric string followed by an ending \'%\' (e.g. \'1%\',  or \'93%\', regex used for validation is \'[0-9]+%\')')];
}

const isZero = (v: unknown): boolean => v === 0 || v === '0%';

function selectorCauses(kind: string, spec: JsonObject): StatusCause[] {
  if (!isObject(spec.selector)) return [required('spec.selector')];
  const selector = spec.selector as LabelSelectorObject;
  let reqs;
  try {
    reqs = selectorRequirements(selector);
  } catch (err) {
    return [invalidValue('spec.selector', selector, errorMessage(err))];
  }
  if (reqs.length === 0) return [invalidValue('spec.selector', selector, `empty selector is invalid for ${kind.toLowerCase()}`)];
  const labels = obj(obj(obj(spec.template).metadata).labels) as Record<string, string>;
  if (!matchesLabels(reqs, labels)) return [invalidValue('spec.template.metadata.labels', labels, '`selector` does not match template `labels`')];
  return [];
}

function restartPolicyCauses(kind: string, spec: JsonObject): StatusCause[] {
  const policy = obj(obj(spec.template).spec).restartPolicy;
  if (kind === 'Job') {
    return policy === 'OnFailure' || policy === 'Never' ? [] : [required('spec.template.spec.restartPolicy', 'valid values: "OnFailure", "Never"')];
  }
  return policy === 'Always' ? [] : [{ reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(policy)}: supported values: "Always"`, field: 'spec.template.spec.restartPolicy' }];
}

function strategyCauses(spec: JsonObject): StatusCause[] {
  const s = obj(spec.strategy);
  if (s.type === 'Recreate') return s.rollingUpdate === undefined ? [] : [forbiddenField('spec.strategy.rollingUpdate', 'may not be specified when strategy `type` is \'Recreate\'')];
  if (s.type !== 'RollingUpdate') return [{ reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(s.type)}: supported values: "Recreate", "RollingUpdate"`, field: 'spec.strategy.type' }];
  const ru = obj(s.rollingUpdate);
  const out = [...intOrPercent(ru.maxSurge, 'spec.strategy.rollingUpdate.maxSurge'), ...intOrPercent(ru.maxUnavailable, 'spec.strategy.rollingUpdate.maxUnavailable')];
  if (out.length === 0 && isZero(ru.maxSurge) && isZero(ru.maxUnavailable)) {
    out.push(invalidValue('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
  }
  return out;
}

/** Causes for a workload object about to be stored (create, or an update that changed its spec). */
export function validateWorkload(kind: string, o: KubeObject): StatusCause[] {
  const spec = obj(o.spec);
  const out = [...selectorCauses(kind, spec), ...templateCauses(spec, 'spec'), ...restartPolicyCauses(kind, spec)];
  if (kind === 'Job') out.push(...nonNegative(spec, 'parallelism'), ...nonNegative(spec, 'completions'), ...nonNegative(spec, 'backoffLimit'), ...nonNegative(spec, 'activeDeadlineSeconds'));
  else out.push(...nonNegative(spec, 'replicas'), ...nonNegative(spec, 'minReadySeconds'));
  if (kind === 'Deployment') out.push(...strategyCauses(spec));
  if (kind === 'StatefulSet' && !['OrderedReady', 'Parallel'].includes(String(spec.podManagementPolicy))) {
    out.push({ reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(spec.podManagementPolicy)}: supported values: "OrderedReady", "Parallel"`, field: 'spec.podManagementPolicy' });
  }
  return out;
}

/** Fields of a StatefulSet's spec an update may change (ValidateStatefulSetUpdate). */
const STATEFULSET_MUTABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

/** Causes for an update of the spec (the update's own validity is validateWorkload's). */
export function validateWorkloadUpdate(kind: string, o: KubeObject, old: KubeObject): StatusCause[] {
  const spec = obj(o.spec);
  const oldSpec = obj(old.spec);
  const out: StatusCause[] = [];
  if (canonicalJson(spec.selector) !== canonicalJson(oldSpec.selector)) out.push(invalidValue('spec.selector', spec.selector, 'field is immutable'));
  if (kind === 'StatefulSet') {
    const rest = (s: JsonObject): string => canonicalJson(Object.fromEntries(Object.entries(s).filter(([k]) => !STATEFULSET_MUTABLE.includes(k))));
    if (rest(spec) !== rest(oldSpec)) {
      out.push(forbiddenField('spec', `updates to statefulset spec for fields other than ${STATEFULSET_MUTABLE.slice(0, -1).map((f) => `'${f}'`).join(', ')} and 'minReadySeconds' are forbidden`));
    }
  }
  if (kind === 'Job') {
    if (canonicalJson(spec.template) !== canonicalJson(oldSpec.template) && oldSpec.suspend !== true) out.push(invalidValue('spec.template', spec.template, 'field is immutable'));
    if (spec.completions !== oldSpec.completions) out.push(invalidValue('spec.completions', spec.completions, 'field is immutable'));
  }
  return out;
}

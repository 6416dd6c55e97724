// Per-kind defaulting and validation on create/update, as kube-apiserver's registry
// strategies and default admission plugins do for the kinds served here.
import type { StatusCause } from './errors.ts';
import { isObject, type JsonObject } from './patch.ts';
import type { KubeObject } from './store.ts';
import { forbiddenField, invalidValue, required } from './causes.ts';
import { validateEvent, validateMeta, validatePodSpec, validatePodUpdate, validateServiceSpec, validateEndpointSlice } from './validation.ts';
import type { ServiceIpAllocator } from './service-ips.ts';
import { defaultWorkload, validateWorkload, validateWorkloadUpdate, WORKLOAD_KINDS } from './workloads.ts';

const obj = (v: unknown): JsonObject => (isObject(v) ? v : {});
const DEFAULT_TOLERATION_SECONDS = 300;

export function defaultContainer(c: JsonObject): JsonObject {
  const image = typeof c.image === 'string' ? c.image : '';
  const tag = image.includes('@') ? 'digest' : (/:([^/:]+)$/.exec(image)?.[1] ?? 'latest');
  return {
    ...c,
    imagePullPolicy: c.imagePullPolicy ?? (tag === 'latest' ? 'Always' : 'IfNotPresent'),
    terminationMessagePath: c.terminationMessagePath ?? '/dev/termination-log',
    terminationMessagePolicy: c.terminationMessagePolicy ?? 'File',
    resources: c.resources ?? {},
    ...(Array.isArray(c.ports) ? { ports: c.ports.map((p) => ({ protocol: 'TCP', ...obj(p) })) } : {}),
  };
}

/** The tolerations the DefaultTolerationSeconds admission plugin adds to every pod. */
function defaultTolerations(existing: unknown): JsonObject[] {
  const list = Array.isArray(existing) ? existing.map(obj) : [];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    const covered = list.some((t) => (t.key === key || (t.key === undefined && t.operator === 'Exists')) && (t.effect === 'NoExecute' || t.effect === undefined || t.effect === ''));
    if (!covered) list.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS });
  }
  return list;
}

function defaultPod(pod: KubeObject): KubeObject {
  const spec = obj(pod.spec);
  const containers = Array.isArray(spec.containers) ? spec.containers.map((c) => defaultContainer(obj(c))) : spec.containers;
  const initContainers = Array.isArray(spec.initContainers) ? spec.initContainers.map((c) => defaultContainer(obj(c))) : undefined;
  return {
    ...pod,
    spec: {
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      securityContext: {},
      schedulerName: 'default-scheduler',
      serviceAccountName: spec.serviceAccount ?? 'default',
      serviceAccount: spec.serviceAccountName ?? spec.serviceAccount ?? 'default',
      enableServiceLinks: true,
      priority: 0,
      preemptionPolicy: 'PreemptLowerPriority',
      ...spec,
      containers,
      ...(initContainers ? { initContainers } : {}),
      tolerations: defaultTolerations(spec.tolerations),
    },
    status: { phase: 'Pending', qosClass: qosClass(spec), ...obj(pod.status) },
  };
}

function qosClass(spec: JsonObject): string {
  const containers = [...(Array.isArray(spec.containers) ? spec.containers : []), ...(Array.isArray(spec.initContainers) ? spec.initContainers : [])].map(obj);
  const resources = containers.map((c) => obj(c.resources));
  const any = resources.some((r) => Object.keys(obj(r.requests)).length > 0 || Object.keys(obj(r.limits)).length > 0);
  if (!any) return 'BestEffort';
  const guaranteed = resources.every((r) => {
    const limits = obj(r.limits);
    const requests = { ...limits, ...obj(r.requests) };
    return ['cpu', 'memory'].every((k) => limits[k] !== undefined && String(requests[k]) === String(limits[k]));
  });
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function defaultService(svc: KubeObject, ips: ServiceIpAllocator): { object: KubeObject; causes: StatusCause[] } {
  const spec = obj(svc.spec);
  const type = typeof spec.type === 'string' ? spec.type : 'ClusterIP';
  const ports = (Array.isArray(spec.ports) ? spec.ports : []).map((p) => {
    const port = obj(p);
    return { protocol: 'TCP', ...port, targetPort: port.targetPort ?? port.port };
  });
  let clusterIP = typeof spec.clusterIP === 'string' ? spec.clusterIP : '';
  if (type !== 'ExternalName' && clusterIP !== 'None' && ports.length === 0) return { object: svc, causes: [required('spec.ports')] };
  const specCauses = validateServiceSpec({ ...spec, ports });
  if (specCauses.length > 0) return { object: svc, causes: specCauses };
  // Allocate last: nothing may fail after this, or the address would leak.
  if (type !== 'ExternalName' && clusterIP !== 'None') {
    const result = ips.allocate(clusterIP);
    if (typeof result !== 'string') return { object: svc, causes: [invalidValue('spec.clusterIPs', [clusterIP], result.error)] };
    clusterIP = result;
  }
  const ipFields = type === 'ExternalName' ? {} : { clusterIP, clusterIPs: [clusterIP], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' };
  const object = {
    ...svc,
    spec: { sessionAffinity: 'None', internalTrafficPolicy: 'Cluster', ...spec, type, ports, ...ipFields },
    status: { loadBalancer: {}, ...obj(svc.status) },
  };
  return { object, causes: [] };
}

export interface KindHooks {
  ips: ServiceIpAllocator;
}

/** Defaults and validates a new object of `kind`; returns the object to store and any causes. */
export function prepareCreate(kind: string, object: KubeObject, hooks: KindHooks): { object: KubeObject; causes: StatusCause[] } {
  const labelNames = kind === 'Namespace' || kind === 'Service';
  const metaCauses = validateMeta(object, labelNames);
  switch (kind) {
    case 'Pod': {
      const pod = defaultPod(object);
      return { object: pod, causes: [...metaCauses, ...validatePodSpec(obj(pod.spec))] };
    }
    case 'Service': {
      if (metaCauses.length > 0) return { object, causes: metaCauses };
      return defaultService(object, hooks.ips);
    }
    case 'Namespace':
      return { object: { ...object, spec: { finalizers: ['kubernetes'], ...obj(object.spec) }, status: { phase: 'Active' } }, causes: metaCauses };
    case 'EndpointSlice':
      return { object, causes: [...metaCauses, ...validateEndpointSlice(object)] };
    case 'Event': {
      // core/v1 Event's reporting fields are not omitempty: kube-apiserver returns "" for them.
      const event = { reportingComponent: '', reportingInstance: '', ...object };
      return { object: event, causes: [...metaCauses, ...validateEvent(event)] };
    }
    case 'Deployment':
    case 'ReplicaSet':
    case 'StatefulSet':
    case 'Job': {
      const workload = defaultWorkload(kind, object, defaultContainer);
      return { object: workload, causes: [...metaCauses, ...validateWorkload(kind, workload)] };
    }
    default:
      return { object, causes: metaCauses };
  }
}

/** Validates an update of `kind` against the stored object (the pod spec only when it changed). */
export function validateUpdate(kind: string, object: KubeObject, old: KubeObject, specChanged: boolean): StatusCause[] {
  const causes = validateMeta(object, kind === 'Namespace' || kind === 'Service');
  if (kind === 'Pod' && specChanged) causes.push(...validatePodSpec(obj(object.spec)), ...validatePodUpdate(obj(object.spec), obj(old.spec)));
  if (kind === 'EndpointSlice') {
    causes.push(...validateEndpointSlice(object));
    if (object.addressType !== old.addressType) causes.push(forbiddenField('addressType', 'field is immutable'));
  }
  if (kind === 'Event') causes.push(...validateEvent(object));
  if (WORKLOAD_KINDS.has(kind) && specChanged) causes.push(...validateWorkload(kind, object), ...validateWorkloadUpdate(kind, object, old));
  if (kind === 'Service') {
    causes.push(...validateServiceSpec(obj(object.spec)));
    const ip = obj(object.spec).clusterIP;
    const oldIp = obj(old.spec).clusterIP;
    if (ip !== oldIp) causes.push(forbiddenField('spec.clusterIPs[0]', 'may not change once set'));
  }
  return causes;
}

/** SetDefaults_PodStatus: a podIP alone also fills podIPs, as kube-apiserver stores it (clients read either). */
export function defaultPodStatus(status: unknown): unknown {
  if (!isObject(status) || typeof status.podIP !== 'string' || status.podIP === '') return status;
  if (Array.isArray(status.podIPs) && status.podIPs.length > 0) return status;
  return { ...status, podIPs: [{ ip: status.podIP }] };
}

/** Fields an update may leave out that the server keeps (kubectl replace of a Service without clusterIP). */
export function carryOver(kind: string, object: KubeObject, old: KubeObject): KubeObject {
  if (kind !== 'Service') return object;
  const spec = obj(object.spec);
  const oldSpec = obj(old.spec);
  if (spec.clusterIP !== undefined && spec.clusterIP !== '') return object;
  return { ...object, spec: { ...spec, clusterIP: oldSpec.clusterIP, clusterIPs: oldSpec.clusterIPs, ipFamilies: oldSpec.ipFamilies, ipFamilyPolicy: oldSpec.ipFamilyPolicy } };
}

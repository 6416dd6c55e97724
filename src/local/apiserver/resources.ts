// The resources this API server serves: one description each, from which discovery, OpenAPI,
// routing, authorization and storage are all derived.

export interface ResourceDef {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** Storage key in the ObjectStore (events.k8s.io/v1 events share core events' storage). */
  storage: string;
  /** Spec changes only via the main resource, status changes only via /status. */
  statusSubresource: boolean;
  /** Create-only review resources (TokenReview, SubjectAccessReview): answered, never stored. */
  review?: boolean;
  /** Subresources served here; log/exec/attach/portforward are served by extensions. */
  subresources: string[];
}

const CRUD = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function def(d: Omit<ResourceDef, 'storage' | 'statusSubresource' | 'subresources'> & Partial<ResourceDef>): ResourceDef {
  return { storage: d.plural, statusSubresource: false, subresources: [], ...d };
}

export const RESOURCES: readonly ResourceDef[] = [
  def({ group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', singular: 'namespace', namespaced: false, shortNames: ['ns'], statusSubresource: true, subresources: ['status'] }),
  def({ group: '', version: 'v1', kind: 'Node', plural: 'nodes', singular: 'node', namespaced: false, shortNames: ['no'], statusSubresource: true, subresources: ['status'] }),
  def({
    group: '', version: 'v1', kind: 'Pod', plural: 'pods', singular: 'pod', namespaced: true, shortNames: ['po'], categories: ['all'],
    statusSubresource: true, subresources: ['status', 'binding', 'eviction'],
  }),
  def({ group: '', version: 'v1', kind: 'Service', plural: 'services', singular: 'service', namespaced: true, shortNames: ['svc'], categories: ['all'], statusSubresource: true, subresources: ['status'] }),
  def({ group: '', version: 'v1', kind: 'Endpoints', plural: 'endpoints', singular: 'endpoints', namespaced: true, shortNames: ['ep'] }),
  def({ group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', singular: 'configmap', namespaced: true, shortNames: ['cm'] }),
  def({ group: '', version: 'v1', kind: 'Secret', plural: 'secrets', singular: 'secret', namespaced: true }),
  def({ group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', singular: 'serviceaccount', namespaced: true, shortNames: ['sa'], subresources: ['token'] }),
  def({ group: '', version: 'v1', kind: 'Event', plural: 'events', singular: 'event', namespaced: true, shortNames: ['ev'] }),
  def({ group: 'events.k8s.io', version: 'v1', kind: 'Event', plural: 'events', singular: 'event', namespaced: true, shortNames: ['ev'], storage: 'events' }),
  def({
    group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', singular: 'deployment', namespaced: true, shortNames: ['deploy'], categories: ['all'],
    statusSubresource: true, subresources: ['status', 'scale'],
  }),
  def({
    group: 'apps', version: 'v1', kind: 'ReplicaSet', plural: 'replicasets', singular: 'replicaset', namespaced: true, shortNames: ['rs'], categories: ['all'],
    statusSubresource: true, subresources: ['status', 'scale'],
  }),
  def({
    group: 'apps', version: 'v1', kind: 'StatefulSet', plural: 'statefulsets', singular: 'statefulset', namespaced: true, shortNames: ['sts'], categories: ['all'],
    statusSubresource: true, subresources: ['status', 'scale'],
  }),
  def({ group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', singular: 'job', namespaced: true, categories: ['all'], statusSubresource: true, subresources: ['status'] }),
  def({ group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', plural: 'endpointslices', singular: 'endpointslice', namespaced: true }),
  def({ group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', singular: 'lease', namespaced: true }),
  def({ group: 'authentication.k8s.io', version: 'v1', kind: 'TokenReview', plural: 'tokenreviews', singular: 'tokenreview', namespaced: false, review: true }),
  def({ group: 'authentication.k8s.io', version: 'v1', kind: 'SelfSubjectReview', plural: 'selfsubjectreviews', singular: 'selfsubjectreview', namespaced: false, review: true }),
  def({ group: 'authorization.k8s.io', version: 'v1', kind: 'SubjectAccessReview', plural: 'subjectaccessreviews', singular: 'subjectaccessreview', namespaced: false, review: true }),
  def({ group: 'authorization.k8s.io', version: 'v1', kind: 'SelfSubjectAccessReview', plural: 'selfsubjectaccessreviews', singular: 'selfsubjectaccessreview', namespaced: false, review: true }),
];

export function verbsOf(d: ResourceDef): string[] {
  return d.review ? ['create'] : CRUD;
}

export function apiVersionOf(d: { group: string; version: string }): string {
  return d.group === '' ? d.version : `${d.group}/${d.version}`;
}

export function findResource(group: string, version: string, plural: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

/** Group versions served, core first, in discovery order. */
export function groupVersions(): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const r of RESOURCES) seen.set(apiVersionOf(r), { group: r.group, version: r.version });
  return [...seen.values()];
}

export function resourcesIn(group: string, version: string): ResourceDef[] {
  return RESOURCES.filter((r) => r.group === group && r.version === version);
}

/** Subresources served by extensions (the pod proxy), listed in discovery but not routed here. */
export const EXTENSION_SUBRESOURCES: Record<string, { kind: string; group: string; version: string; verbs: string[] }> = {
  'pods/log': { kind: 'Pod', group: '', version: 'v1', verbs: ['get'] },
  'pods/exec': { kind: 'PodExecOptions', group: '', version: 'v1', verbs: ['create', 'get'] },
  'pods/attach': { kind: 'PodAttachOptions', group: '', version: 'v1', verbs: ['create', 'get'] },
  'pods/portforward': { kind: 'PodPortForwardOptions', group: '', version: 'v1', verbs: ['create', 'get'] },
};

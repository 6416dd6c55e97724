// What EndpointSlices a Service should have, computed from the Service and the pods in its
// namespace, following kube-controller-manager's endpointslice controller: one IPv4 slice
// group per distinct resolved port set, at most 100 endpoints per slice, and a placeholder
// slice when nothing matches.
import type { DiscoveryV1EndpointPort, V1Endpoint, V1EndpointSlice, V1Pod, V1Service, V1ServicePort } from '@kubernetes/client-node';
import { isIPv4 } from 'node:net';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
export const MAX_ENDPOINTS_PER_SLICE = 100;

/** Whether the controller keeps slices for this Service (a non-empty selector, not ExternalName). */
export function managesService(service: V1Service): boolean {
  return Object.keys(service.spec?.selector ?? {}).length > 0 && service.spec?.type !== 'ExternalName';
}

export function selectorMatches(service: V1Service, pod: V1Pod): boolean {
  const labels = pod.metadata?.labels ?? {};
  return Object.entries(service.spec?.selector ?? {}).every(([k, v]) => labels[k] === v);
}

function podReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** FindPort: a numeric targetPort as is, a named one from the pod's container ports. */
function resolvePort(pod: V1Pod, port: V1ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  const protocol = port.protocol ?? 'TCP';
  for (const c of pod.spec?.containers ?? []) {
    const found = c.ports?.find((p) => p.name === target && (p.protocol ?? 'TCP') === protocol);
    if (found) return found.containerPort;
  }
  return undefined;
}

function endpointPorts(service: V1Service, pod: V1Pod): DiscoveryV1EndpointPort[] {
  const ports: DiscoveryV1EndpointPort[] = [];
  for (const sp of service.spec?.ports ?? []) {
    const port = resolvePort(pod, sp);
    if (port === undefined) continue;
    ports.push({ name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
  }
  return ports;
}

function podIPv4(pod: V1Pod): string | undefined {
  const ips = [pod.status?.podIP, ...(pod.status?.podIPs ?? []).map((p) => p.ip)];
  return ips.find((ip): ip is string => typeof ip === 'string' && isIPv4(ip));
}

/** The endpoint for a pod, or undefined for pods that are finished or have no IPv4 yet. */
export function podEndpoint(service: V1Service, pod: V1Pod): V1Endpoint | undefined {
  const phase = pod.status?.phase;
  const ip = podIPv4(pod);
  if (phase === 'Succeeded' || phase === 'Failed' || !ip) return undefined;
  const publishNotReady = service.spec?.publishNotReadyAddresses === true;
  const serving = publishNotReady || podReady(pod);
  const terminating = Boolean(pod.metadata?.deletionTimestamp);
  const endpoint: V1Endpoint = {
    addresses: [ip],
    // A terminating pod is never "ready" unless the Service publishes not-ready addresses.
    conditions: { ready: publishNotReady || (serving && !terminating), serving, terminating },
    targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
  };
  if (pod.spec?.nodeName) endpoint.nodeName = pod.spec.nodeName;
  const hostname = pod.spec?.hostname;
  if (hostname && pod.spec?.subdomain === service.metadata?.name) endpoint.hostname = hostname;
  return endpoint;
}

/** Labels every slice of the Service carries: the Service's own plus the controller's. */
export function sliceLabels(service: V1Service): Record<string, string> {
  const labels: Record<string, string> = { ...service.metadata?.labels };
  delete labels[SERVICE_NAME_LABEL];
  delete labels[MANAGED_BY_LABEL];
  labels[SERVICE_NAME_LABEL] = service.metadata!.name!;
  labels[MANAGED_BY_LABEL] = MANAGED_BY;
  if (service.spec?.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
  else delete labels[HEADLESS_LABEL];
  return labels;
}

function newSlice(service: V1Service, ports: DiscoveryV1EndpointPort[], endpoints: V1Endpoint[]): V1EndpointSlice {
  const { name, namespace, uid } = service.metadata!;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${name}-`,
      namespace,
      labels: sliceLabels(service),
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: name!, uid: uid!, controller: true, blockOwnerDeletion: true }],
    },
    addressType: 'IPv4',
    endpoints,
    ...(ports.length > 0 ? { ports } : {}),
  };
}

/** The slices the Service should have (unnamed: the controller matches them to existing ones). */
export function desiredSlices(service: V1Service, pods: readonly V1Pod[]): V1EndpointSlice[] {
  if (!managesService(service)) return [];
  const groups = new Map<string, { ports: DiscoveryV1EndpointPort[]; endpoints: V1Endpoint[] }>();
  const candidates = pods
    .filter((p) => p.metadata?.namespace === service.metadata?.namespace && selectorMatches(service, p))
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  for (const pod of candidates) {
    const endpoint = podEndpoint(service, pod);
    if (!endpoint) continue;
    const ports = endpointPorts(service, pod);
    const key = JSON.stringify(ports);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { ports, endpoints: [] }));
    group.endpoints.push(endpoint);
  }
  if (groups.size === 0) return [newSlice(service, [], [])];
  const slices: V1EndpointSlice[] = [];
  for (const key of [...groups.keys()].sort()) {
    const { ports, endpoints } = groups.get(key)!;
    for (let i = 0; i < endpoints.length; i += MAX_ENDPOINTS_PER_SLICE) {
      slices.push(newSlice(service, ports, endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE)));
    }
  }
  return slices;
}

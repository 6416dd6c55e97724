// Pure helpers for the pod proxy: where a pod's kubelet listens, which container a request
// means, and the kubelet URL kube-apiserver would call for it.
import type { V1Node, V1Pod } from '@kubernetes/client-node';

export type PodSubresource = 'log' | 'exec' | 'attach' | 'portforward';

export interface PodSubresourcePath {
  namespace: string;
  pod: string;
  subresource: PodSubresource;
}

const PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(log|exec|attach|portforward)\/?$/;

export function parsePodSubresourcePath(pathname: string): PodSubresourcePath | null {
  const m = PATH.exec(pathname);
  if (!m) return null;
  return { namespace: decodeURIComponent(m[1]!), pod: decodeURIComponent(m[2]!), subresource: m[3] as PodSubresource };
}

/** The kubelet's address as kube-apiserver picks it (preferred address types in its default order). */
export function kubeletEndpoint(node: V1Node): { host: string; port: number } | null {
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  if (!port) return null;
  const addresses = node.status?.addresses ?? [];
  for (const type of ['Hostname', 'InternalDNS', 'InternalIP', 'ExternalDNS', 'ExternalIP']) {
    const hit = addresses.find((a) => a.type === type && a.address);
    if (hit) return { host: hit.address, port };
  }
  return null;
}

export const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

/**
 * The container a request without `container` means: kube-apiserver requires one when the pod
 * has several; kubectl fills it in from the annotation or the first container. Accepting the
 * annotation and then the first container here serves both old and new clients.
 */
export function resolveContainer(pod: V1Pod, requested: string | null): { container: string } | { error: string } {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []), ...(pod.spec?.ephemeralContainers ?? [])];
  const name = pod.metadata?.name ?? '';
  if (requested) {
    if (containers.some((c) => c.name === requested)) return { container: requested };
    return { error: `container ${requested} is not valid for pod ${name}` };
  }
  const annotated = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  if (annotated && pod.spec?.containers?.some((c) => c.name === annotated)) return { container: annotated };
  const first = pod.spec?.containers?.[0]?.name;
  return first ? { container: first } : { error: `pod ${name} has no containers` };
}

/** Log options passed through to the kubelet unchanged (the kubelet validates them). */
const LOG_PARAMS = ['follow', 'previous', 'sinceSeconds', 'sinceTime', 'timestamps', 'tailLines', 'limitBytes'];

export function kubeletLogQuery(params: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams();
  for (const p of LOG_PARAMS) {
    const v = params.get(p);
    if (v !== null) out.set(p, v);
  }
  return out;
}

export function kubeletPath(sub: PodSubresource, namespace: string, pod: string, container: string): string {
  const e = encodeURIComponent;
  switch (sub) {
    case 'log':
      return `/containerLogs/${e(namespace)}/${e(pod)}/${e(container)}`;
    case 'exec':
      return `/exec/${e(namespace)}/${e(pod)}/${e(container)}`;
    case 'attach':
      return `/attach/${e(namespace)}/${e(pod)}/${e(container)}`;
    case 'portforward':
      return `/portForward/${e(namespace)}/${e(pod)}`;
  }
}

/** The RBAC check kube-apiserver makes: create on exec/attach/portforward, get on log. */
export function authorizationVerb(sub: PodSubresource): 'get' | 'create' {
  return sub === 'log' ? 'get' : 'create';
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  code: number;
}

export function failureStatus(code: number, reason: string, message: string): StatusBody {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

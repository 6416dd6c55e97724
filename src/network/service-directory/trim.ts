// Kubernetes objects → the directory's trimmed form (pure). Everything a sidecar does not need
// is dropped here, once, in burstlet; what is skipped by kube-proxy's rules is decided later by
// the sidecar's rules, except what cannot be proxied at all (headless, ExternalName, SCTP).
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import type { DirEndpoint, DirProtocol, DirService, DirServicePort, DirSlice } from './protocol.ts';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** kube-proxy's default ClientIP affinity timeout (3 hours). */
export const DEFAULT_AFFINITY_SECONDS = 10_800;

function protocolOf(p: string | undefined): DirProtocol | null {
  if (p === undefined || p === 'TCP') return 'TCP';
  return p === 'UDP' ? 'UDP' : null;
}

export function trimService(svc: V1Service): DirService | null {
  const namespace = svc.metadata?.namespace;
  const name = svc.metadata?.name;
  if (!namespace || !name) return null;
  const spec = svc.spec ?? {};
  const ips = spec.clusterIPs && spec.clusterIPs.length > 0 ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  const proxied = spec.type !== 'ExternalName' && !ips.includes('None');
  const ports: DirServicePort[] = [];
  for (const p of spec.ports ?? []) {
    const protocol = protocolOf(p.protocol);
    if (protocol) ports.push({ name: p.name ?? '', protocol, port: p.port });
  }
  const affinitySeconds =
    spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS) : null;
  return { namespace, name, clusterIPs: proxied ? [...ips] : [], ports: proxied ? ports : [], affinitySeconds };
}

export function trimEndpointSlice(slice: V1EndpointSlice): DirSlice | null {
  const namespace = slice.metadata?.namespace;
  const name = slice.metadata?.name;
  const serviceName = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  if (!namespace || !name || !serviceName) return null;
  if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') return null;
  const endpoints: DirEndpoint[] = [];
  for (const ep of slice.endpoints ?? []) {
    const address = ep.addresses[0];
    if (!address) continue;
    // Kubernetes: a missing ready means ready; a missing serving follows ready.
    const ready = ep.conditions?.ready ?? true;
    endpoints.push({
      address,
      ready,
      serving: ep.conditions?.serving ?? ready,
      terminating: ep.conditions?.terminating ?? false,
    });
  }
  const ports: DirServicePort[] = [];
  for (const p of slice.ports ?? []) {
    const protocol = protocolOf(p.protocol);
    if (protocol && p.port !== undefined) ports.push({ name: p.name ?? '', protocol, port: p.port });
  }
  return { namespace, name, serviceName, addressType: slice.addressType, endpoints, ports };
}

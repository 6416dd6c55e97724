// The data cluster DNS answers from, distilled from Services and EndpointSlices the way
// CoreDNS's kubernetes plugin reads them: ClusterIPs, ExternalName targets, and for each
// Service the ready endpoint addresses with their hostnames and ports.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';

export interface PortRecord {
  name: string;
  port: number;
  /** Upper case, as in the API: TCP, UDP, SCTP. */
  protocol: string;
}

export interface EndpointRecord {
  ip: string;
  /** The pod's hostname when the slice carries one, else the dashed IP (CoreDNS's naming). */
  hostname: string;
  ports: PortRecord[];
}

export interface ServiceRecord {
  name: string;
  namespace: string;
  headless: boolean;
  clusterIPs: string[];
  externalName?: string;
  ports: PortRecord[];
  endpoints: EndpointRecord[];
}

export interface DnsSnapshot {
  domain: string;
  /** Keyed "<namespace>/<name>", lower case. */
  services: ReadonlyMap<string, ServiceRecord>;
  namespaces: ReadonlySet<string>;
  /** IP → the names that resolve to it (service names for ClusterIPs, endpoint names for pods), for PTR. */
  reverse: ReadonlyMap<string, string[]>;
  /** SOA serial: changes whenever the data does. */
  serial: number;
}

export function serviceKey(namespace: string, name: string): string {
  return `${namespace}/${name}`.toLowerCase();
}

function dashed(ip: string): string {
  return ip.replaceAll('.', '-').replaceAll(':', '-');
}

function endpointsOf(service: V1Service, slices: readonly V1EndpointSlice[]): EndpointRecord[] {
  const publishNotReady = service.spec?.publishNotReadyAddresses === true;
  const out: EndpointRecord[] = [];
  const seen = new Set<string>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
    const ports = (slice.ports ?? []).filter((p) => p.port !== undefined).map((p) => ({ name: p.name ?? '', port: p.port!, protocol: p.protocol ?? 'TCP' }));
    for (const endpoint of slice.endpoints ?? []) {
      // A missing "ready" means unknown, which consumers treat as ready.
      if (!publishNotReady && endpoint.conditions?.ready === false) continue;
      for (const ip of endpoint.addresses) {
        const id = `${ip}|${JSON.stringify(ports)}`;
        if (seen.has(id)) continue;
        seen.add(id);
        out.push({ ip, hostname: endpoint.hostname || dashed(ip), ports });
      }
    }
  }
  return out;
}

export function buildSnapshot(domain: string, services: readonly V1Service[], slices: readonly V1EndpointSlice[], serial: number): DnsSnapshot {
  const slicesByService = new Map<string, V1EndpointSlice[]>();
  for (const slice of slices) {
    const name = slice.metadata?.labels?.['kubernetes.io/service-name'];
    if (!name || !slice.metadata?.namespace) continue;
    const key = serviceKey(slice.metadata.namespace, name);
    slicesByService.set(key, [...(slicesByService.get(key) ?? []), slice]);
  }
  const records = new Map<string, ServiceRecord>();
  const namespaces = new Set<string>();
  for (const service of services) {
    const name = service.metadata?.name;
    const namespace = service.metadata?.namespace;
    if (!name || !namespace) continue;
    const key = serviceKey(namespace, name);
    namespaces.add(namespace.toLowerCase());
    const spec = service.spec ?? {};
    const clusterIPs = (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).filter((ip) => ip !== 'None' && ip !== '');
    records.set(key, {
      name: name.toLowerCase(),
      namespace: namespace.toLowerCase(),
      headless: spec.type !== 'ExternalName' && clusterIPs.length === 0,
      clusterIPs,
      ...(spec.type === 'ExternalName' && spec.externalName ? { externalName: spec.externalName } : {}),
      ports: (spec.ports ?? []).map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' })),
      endpoints: endpointsOf(service, slicesByService.get(key) ?? []),
    });
  }
  const zone = domain.toLowerCase().replace(/\.$/, '');
  return { domain: zone, services: records, namespaces, reverse: reverseNames(zone, records.values()), serial };
}

function reverseNames(zone: string, services: Iterable<ServiceRecord>): Map<string, string[]> {
  const names = new Map<string, string[]>();
  const add = (ip: string, name: string): void => {
    const list = names.get(ip) ?? [];
    if (!list.includes(name)) list.push(name);
    names.set(ip, list);
  };
  for (const svc of services) {
    const svcName = `${svc.name}.${svc.namespace}.svc.${zone}.`;
    for (const ip of svc.clusterIPs) add(ip, svcName);
    for (const e of svc.endpoints) add(e.ip, `${e.hostname}.${svcName}`);
  }
  return names;
}

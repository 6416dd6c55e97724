// kube-proxy's rules as a pure function: from the directory's Services and EndpointSlices to
// the forwarding table the sidecar's listeners follow, one entry per ClusterIP:port/protocol.
import { isIPv6 } from 'node:net';
import { objectKey, type DirEndpoint, type DirProtocol, type DirService, type DirSlice } from '../network/service-directory/protocol.ts';

export interface Backend {
  address: string;
  port: number;
}

export interface ForwardingEntry {
  clusterIP: string;
  port: number;
  protocol: DirProtocol;
  /** namespace/name:portName, for logs. */
  servicePort: string;
  /** ClientIP affinity timeout in seconds, or null (round robin only). */
  affinitySeconds: number | null;
  backends: Backend[];
}

export function entryKey(clusterIP: string, port: number, protocol: DirProtocol): string {
  return `${protocol}/${isIPv6(clusterIP) ? `[${clusterIP}]` : clusterIP}:${port}`;
}

/** Ready endpoints; when there are none, the serving ones that are terminating (graceful drain). */
function usable(endpoints: DirEndpoint[]): DirEndpoint[] {
  const ready = endpoints.filter((e) => e.ready);
  return ready.length > 0 ? ready : endpoints.filter((e) => e.serving && e.terminating);
}

export function forwardingTable(services: Iterable<DirService>, slices: Iterable<DirSlice>): Map<string, ForwardingEntry> {
  const slicesByService = new Map<string, DirSlice[]>();
  for (const slice of slices) {
    const key = objectKey({ namespace: slice.namespace, name: slice.serviceName });
    const list = slicesByService.get(key);
    if (list) list.push(slice);
    else slicesByService.set(key, [slice]);
  }
  const table = new Map<string, ForwardingEntry>();
  for (const svc of services) {
    const svcSlices = slicesByService.get(objectKey(svc)) ?? [];
    for (const clusterIP of svc.clusterIPs) {
      if (clusterIP === '' || clusterIP === 'None') continue;
      const family = isIPv6(clusterIP) ? 'IPv6' : 'IPv4';
      for (const sp of svc.ports) {
        // Gather all endpoints of this family with a port of the same name and protocol,
        // then apply the ready/serving rule over the whole set (as kube-proxy does).
        const candidates: { ep: DirEndpoint; port: number }[] = [];
        for (const slice of svcSlices) {
          if (slice.addressType !== family) continue;
          const match = slice.ports.find((p) => p.name === sp.name && p.protocol === sp.protocol);
          if (!match) continue;
          for (const ep of slice.endpoints) candidates.push({ ep, port: match.port });
        }
        const chosen = new Set(usable(candidates.map((c) => c.ep)));
        const seen = new Set<string>();
        const backends: Backend[] = [];
        for (const c of candidates) {
          const id = `${c.ep.address}|${c.port}`;
          if (!chosen.has(c.ep) || seen.has(id)) continue;
          seen.add(id);
          backends.push({ address: c.ep.address, port: c.port });
        }
        table.set(entryKey(clusterIP, sp.port, sp.protocol), {
          clusterIP,
          port: sp.port,
          protocol: sp.protocol,
          servicePort: `${objectKey(svc)}:${sp.name}`,
          affinitySeconds: svc.affinitySeconds,
          backends,
        });
      }
    }
  }
  return table;
}

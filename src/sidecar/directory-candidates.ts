// Where else the service directory may be: after a leader handover, the directory is served by
// another burstlet replica, at an address this pod's sidecar was never given. The replicas are
// the endpoints of a Service (manifests/: burstlet-directory), which the directory itself streams
// to every sidecar; so the sidecar keeps a list of where to try: the URL it was given first, then
// each ready endpoint of that Service, same scheme and path.
import { isIPv6 } from 'node:net';
import type { DirSlice } from '../network/service-directory/protocol.ts';
import type { ServiceRef } from '../network/service-ref.ts';

/** The URLs to try, in order: `primary`, then the ready endpoints of `service` with its first TCP port. */
export function directoryCandidates(primary: string, slices: Iterable<DirSlice>, service: ServiceRef | undefined): string[] {
  const urls = [primary];
  if (!service) return urls;
  const base = new URL(primary);
  for (const slice of slices) {
    if (slice.namespace !== service.namespace || slice.serviceName !== service.name) continue;
    const port = slice.ports.find((p) => p.protocol === 'TCP')?.port;
    if (port === undefined) continue;
    for (const ep of slice.endpoints) {
      if (!ep.ready) continue;
      const url = `${base.protocol}//${isIPv6(ep.address) ? `[${ep.address}]` : ep.address}:${port}${base.pathname}`;
      if (!urls.includes(url)) urls.push(url);
    }
  }
  return urls;
}

// Turns desired slices into API writes against the slices that exist: unchanged slices are
// left alone, changed ones are updated in place (same name), and only the surplus is created
// or deleted — so a steady Service causes no writes at all.
import type { DiscoveryV1EndpointPort, V1Endpoint, V1EndpointSlice } from '@kubernetes/client-node';

export interface SlicePlan {
  create: V1EndpointSlice[];
  update: V1EndpointSlice[];
  delete: V1EndpointSlice[];
}

function canonicalPorts(ports: readonly DiscoveryV1EndpointPort[] | undefined): unknown[] {
  return (ports ?? []).map((p) => [p.name ?? '', p.port, p.protocol ?? 'TCP', p.appProtocol ?? '']);
}

function canonicalEndpoint(e: V1Endpoint): unknown[] {
  const c = e.conditions ?? {};
  const ref = e.targetRef ?? {};
  return [e.addresses, c.ready ?? true, c.serving ?? c.ready ?? true, c.terminating ?? false, e.hostname ?? '', e.nodeName ?? '', [ref.kind, ref.namespace, ref.name, ref.uid]];
}

function portsKey(slice: V1EndpointSlice): string {
  return JSON.stringify(canonicalPorts(slice.ports));
}

/** Everything the controller owns in a slice, in a form where equal means "no write needed". */
function content(slice: V1EndpointSlice): string {
  const labels = Object.entries(slice.metadata?.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  const owners = (slice.metadata?.ownerReferences ?? []).map((o) => [o.kind, o.name, o.uid, o.controller ?? false]);
  return JSON.stringify([slice.addressType, labels, owners, canonicalPorts(slice.ports), (slice.endpoints ?? []).map(canonicalEndpoint)]);
}

function byName(a: V1EndpointSlice, b: V1EndpointSlice): number {
  return (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

/** `existing` rewritten to `desired`'s content, keeping its identity (name, resourceVersion). */
function rewrite(existing: V1EndpointSlice, desired: V1EndpointSlice): V1EndpointSlice {
  const { generateName: _generateName, ...meta } = desired.metadata ?? {};
  return { ...desired, metadata: { ...existing.metadata, ...meta, name: existing.metadata?.name } };
}

export function planSlices(desired: readonly V1EndpointSlice[], existing: readonly V1EndpointSlice[]): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const unmatched = new Map<string, V1EndpointSlice[]>();
  for (const slice of [...existing].sort(byName)) {
    const key = portsKey(slice);
    unmatched.set(key, [...(unmatched.get(key) ?? []), slice]);
  }
  const leftoverDesired: V1EndpointSlice[] = [];
  const pair = (want: V1EndpointSlice, have: V1EndpointSlice): void => {
    if (content(want) !== content(have)) plan.update.push(rewrite(have, want));
  };
  // First pair slices with the same ports (the usual case), then reuse any others in place.
  for (const want of desired) {
    const have = unmatched.get(portsKey(want))?.shift();
    if (have) pair(want, have);
    else leftoverDesired.push(want);
  }
  const leftoverExisting = [...unmatched.values()].flat().sort(byName);
  for (const want of leftoverDesired) {
    const have = leftoverExisting.shift();
    if (have) pair(want, have);
    else plan.create.push(want);
  }
  plan.delete.push(...leftoverExisting);
  return plan;
}

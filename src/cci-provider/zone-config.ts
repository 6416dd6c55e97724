// The availability-zone virtual nodes as CCE's add-on declares them, in the ConfigMap
// kube-system/bursting-node: a key without a period is an AZ (`true` enables its node; `global`
// is the global node and cannot be a zone); `<az>.cpu` and `<az>.memory` size the node
// (Kubernetes quantities, CCE's defaults when absent). burstlet adds `<az>.networks`: the CCI
// Networks (subnets) the zone's pods take IPs from, separated by commas (or `+`, for the
// --zone-nodes flag whose pairs are comma-separated), the first the default.
// Pure: the controller reads the ConfigMap and applies what this returns.
import { parseQuantity } from '../kube/quantity.ts';

/** CCE's limit: one global node plus at most 20 per AZ. */
export const MAX_ZONE_NODES = 20;
/** CCE's defaults for a zone node's room when the ConfigMap does not size it. */
export const DEFAULT_ZONE_CPU = '200000';
export const DEFAULT_ZONE_MEMORY = '1600000Gi';

export interface ZoneNodeSpec {
  zone: string;
  /** `<global node name>-<zone>`. */
  nodeName: string;
  cpu: string;
  memory: string;
  /** CCI Network names; empty = the namespace's default Network. */
  networks: string[];
}

export interface ZoneConfig {
  zones: ZoneNodeSpec[];
  /** What was ignored and why, for a Warning event and the log. */
  problems: string[];
}

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const PARAMS = ['cpu', 'memory', 'networks'] as const;
type Param = (typeof PARAMS)[number];

export function parseZoneConfig(data: Readonly<Record<string, string>>, globalNode: string): ZoneConfig {
  const problems: string[] = [];
  const params = new Map<string, Partial<Record<Param, string>>>();
  const enabled: string[] = [];
  for (const [key, raw] of Object.entries(data).sort(([a], [b]) => a.localeCompare(b))) {
    const value = raw.trim();
    const dot = key.indexOf('.');
    const zone = dot < 0 ? key : key.slice(0, dot);
    if (zone === 'global') {
      problems.push(`${key}: "global" is the global node, not a zone`);
      continue;
    }
    if (!LABEL.test(zone) || zone.length > 63) {
      problems.push(`${key}: ${JSON.stringify(zone)} is not a zone name (lower-case letters, digits and '-')`);
      continue;
    }
    if (dot < 0) {
      if (value === 'true') enabled.push(zone);
      else if (value !== 'false') problems.push(`${key}: expected true or false, got ${JSON.stringify(value)}`);
      continue;
    }
    const param = key.slice(dot + 1);
    if (!(PARAMS as readonly string[]).includes(param)) {
      problems.push(`${key}: unknown parameter ${JSON.stringify(param)}; expected ${PARAMS.map((p) => `${zone}.${p}`).join(', ')}`);
      continue;
    }
    const problem = checkParam(param as Param, value);
    if (problem) {
      problems.push(`${key}: ${problem}`);
      continue;
    }
    params.set(zone, { ...params.get(zone), [param]: value });
  }
  for (const zone of params.keys()) {
    if (!enabled.includes(zone)) problems.push(`${zone}.*: zone ${zone} has parameters but no "${zone}: true"; it has no node`);
  }
  if (enabled.length > MAX_ZONE_NODES) {
    problems.push(`${enabled.length} zones enabled: at most ${MAX_ZONE_NODES} zone nodes; ${enabled.slice(MAX_ZONE_NODES).join(', ')} left out`);
  }
  const zones = enabled.slice(0, MAX_ZONE_NODES).map((zone): ZoneNodeSpec => {
    const p = params.get(zone) ?? {};
    return {
      zone,
      nodeName: `${globalNode}-${zone}`,
      cpu: p.cpu ?? DEFAULT_ZONE_CPU,
      memory: p.memory ?? DEFAULT_ZONE_MEMORY,
      networks: p.networks ? networkNames(p.networks) : [],
    };
  });
  return { zones, problems };
}

const networkNames = (value: string): string[] => value.split(/[,+]/).map((n) => n.trim());

function checkParam(param: Param, value: string): string | undefined {
  if (param === 'networks') {
    const names = networkNames(value);
    const bad = names.find((n) => !LABEL.test(n));
    return bad === undefined ? undefined : `${JSON.stringify(bad)} is not a Network name`;
  }
  try {
    if (parseQuantity(value).milli <= 0n) return 'must be positive';
  } catch {
    return `${JSON.stringify(value)} is not a quantity (e.g. ${param === 'cpu' ? '64 or 500m' : '256Gi'})`;
  }
  return undefined;
}

// ScheduleProfile (scheduling.cci.io/v2), in the shape CCE's add-on reads, so that operators'
// existing profiles apply unchanged:
//
//   spec:
//     objectLabels: {matchLabels: {app: web}}      # selects workloads by their own labels
//     strategy: localPrefer                         # off | enforce | localPrefer | auto
//     location:
//       local: {maxNum: 2, scaleDownPriority: 10}   # at most 2 pods on cluster nodes
//       cci: {scaleDownPriority: 100, network: fixed} # higher = removed first on scale-in;
//                                                   # network: burstlet's, the CCI Network (subnet) of the pods
//     virtualNodes: [{type: bursting-node}]
//
// A profile is namespaced and selects workloads of its own namespace. The CRD's OpenAPI schema
// validates on write; this reads defensively anyway (a profile stored before the schema, or an
// apiserver without validation), and a profile it cannot read selects nothing.
import { isPolicy, type ProfileTerms } from './policy.ts';

export const PROFILE_GROUP = 'scheduling.cci.io';
export const PROFILE_VERSION = 'v2';
export const PROFILE_PLURAL = 'scheduleprofiles';
export const PROFILES_PATH = `/apis/${PROFILE_GROUP}/${PROFILE_VERSION}/${PROFILE_PLURAL}`;

export interface ScheduleProfile {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string; creationTimestamp?: string; generation?: number };
  spec?: {
    objectLabels?: { matchLabels?: Record<string, string> };
    strategy?: string;
    location?: {
      local?: { maxNum?: number; scaleDownPriority?: number };
      cci?: { scaleDownPriority?: number; network?: string };
    };
    virtualNodes?: { type?: string }[];
  };
  status?: ProfileStatus;
}

export interface ProfileStatus {
  observedGeneration?: number;
  /** How many workloads the profile selects now. */
  matchedCount?: number;
  /** "Kind/name" of the selected workloads (the first MAX_LISTED, sorted). */
  matchedWorkloads?: string[];
  /** Workloads also selected by an older profile, which wins for them. */
  shadowed?: string[];
  /** Why the profile selects nothing (a spec the schema let through but burstlet cannot read). */
  invalid?: string;
}

/** The status lists at most this many workloads; matchedCount has the total. */
export const MAX_LISTED = 100;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** The profile's terms, or why it selects nothing. */
export function profileTerms(p: ScheduleProfile): ProfileTerms | { invalid: string } {
  const spec = p.spec;
  const match = spec?.objectLabels?.matchLabels;
  if (!match || typeof match !== 'object' || Object.keys(match).length === 0) return { invalid: 'spec.objectLabels.matchLabels is empty: it would select every workload' };
  if (typeof spec?.strategy !== 'string' || !isPolicy(spec.strategy)) return { invalid: `spec.strategy ${JSON.stringify(spec?.strategy)} is not one of off, enforce, localPrefer, auto` };
  const local = spec.location?.local;
  const maxNum = local?.maxNum;
  if (maxNum !== undefined && (!isInt(maxNum) || maxNum < 0)) return { invalid: 'spec.location.local.maxNum must be an integer ≥ 0' };
  const localPriority = local?.scaleDownPriority ?? 0;
  const cciPriority = spec.location?.cci?.scaleDownPriority;
  if (!isInt(localPriority) || (cciPriority !== undefined && !isInt(cciPriority))) return { invalid: 'scaleDownPriority must be an integer' };
  const network = spec.location?.cci?.network;
  if (network !== undefined && (typeof network !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(network))) return { invalid: `spec.location.cci.network ${JSON.stringify(network)} is not a Network name` };
  return {
    namespace: p.metadata?.namespace ?? '',
    name: p.metadata?.name ?? '',
    strategy: spec.strategy,
    maxLocal: maxNum,
    // Unless told otherwise, burst pods go first on scale-in: just above the local priority.
    scaleDownPriority: { local: localPriority, cci: cciPriority ?? localPriority + 1 },
    ...(network !== undefined ? { network } : {}),
  };
}

export function selects(p: ScheduleProfile, labels: Readonly<Record<string, string>> | undefined): boolean {
  const match = p.spec?.objectLabels?.matchLabels ?? {};
  const keys = Object.keys(match);
  return keys.length > 0 && keys.every((k) => labels?.[k] === match[k]);
}

/** Older first, then by name: the order in which profiles claim a workload. */
export function profileOrder(a: ScheduleProfile, b: ScheduleProfile): number {
  const ta = a.metadata?.creationTimestamp ?? '';
  const tb = b.metadata?.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

/**
 * The profile that governs a workload: among the valid profiles of its namespace that select its
 * labels, the oldest (a later one cannot silently take over running workloads).
 */
export function governingProfile(
  profiles: readonly ScheduleProfile[],
  namespace: string,
  labels: Readonly<Record<string, string>> | undefined,
): ProfileTerms | undefined {
  let best: ScheduleProfile | undefined;
  let bestTerms: ProfileTerms | undefined;
  for (const p of profiles) {
    if (p.metadata?.namespace !== namespace || !selects(p, labels)) continue;
    const terms = profileTerms(p);
    if ('invalid' in terms) continue;
    if (!best || profileOrder(p, best) < 0) [best, bestTerms] = [p, terms];
  }
  return bestTerms;
}

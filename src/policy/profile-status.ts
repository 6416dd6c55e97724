// Each ScheduleProfile's status says which workloads it selects now: their count, their names
// (the first MAX_LISTED), and those an older profile governs instead. Computed from the workload
// index; written (leader only) when it differs from what the profile shows.
import type { ProfileStatus, ScheduleProfile } from './profile.ts';
import { governingProfile, MAX_LISTED, profileTerms, selects } from './profile.ts';
import type { WorkloadRecord } from './workloads.ts';

/** A workload at the top of its ownership chain: what profiles select (not a Deployment's ReplicaSets). */
export function isTopWorkload(w: WorkloadRecord): boolean {
  return !(w.kind === 'ReplicaSet' && w.owner?.kind === 'Deployment');
}

export function profileStatus(profile: ScheduleProfile, all: readonly ScheduleProfile[], workloads: Iterable<WorkloadRecord>): ProfileStatus {
  const generation = profile.metadata?.generation !== undefined ? { observedGeneration: profile.metadata.generation } : {};
  const terms = profileTerms(profile);
  if ('invalid' in terms) return { ...generation, matchedCount: 0, matchedWorkloads: [], invalid: terms.invalid };
  const ns = profile.metadata?.namespace;
  const matched: string[] = [];
  const shadowed: string[] = [];
  for (const w of workloads) {
    if (w.namespace !== ns || !isTopWorkload(w) || !selects(profile, w.labels)) continue;
    const name = `${w.kind}/${w.name}`;
    matched.push(name);
    if (governingProfile(all, w.namespace, w.labels)?.name !== profile.metadata?.name) shadowed.push(name);
  }
  matched.sort();
  shadowed.sort();
  return {
    ...generation,
    matchedCount: matched.length,
    matchedWorkloads: matched.slice(0, MAX_LISTED),
    ...(shadowed.length > 0 ? { shadowed: shadowed.slice(0, MAX_LISTED) } : {}),
  };
}

/** Whether the status must be written. */
export function statusDiffers(current: ProfileStatus | undefined, next: ProfileStatus): boolean {
  const norm = (s: ProfileStatus | undefined): string =>
    JSON.stringify([s?.observedGeneration, s?.matchedCount, s?.matchedWorkloads ?? [], s?.shadowed ?? [], s?.invalid]);
  return norm(current) !== norm(next);
}

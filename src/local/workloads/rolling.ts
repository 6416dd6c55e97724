// The arithmetic of a Deployment's rolling update (k8s.io/kubernetes/pkg/controller/deployment
// util and rolling.go), pure: how far the new ReplicaSet may grow (maxSurge) and how many old
// pods may go (maxUnavailable), given the ReplicaSets' replicas and available pods.

export interface RsCounts {
  name: string;
  /** spec.replicas */
  replicas: number;
  /** status.availableReplicas */
  available: number;
  /** For "oldest first". */
  created: string;
}

/** intstr.GetScaledValueFromIntOrPercent: an int, or a percentage of `total` rounded up or down. */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean, fallback: string): number {
  const raw = v ?? fallback;
  if (typeof raw === 'number') return raw;
  const pct = Number(raw.replace(/%$/, ''));
  const exact = (pct * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** ResolveFenceposts: maxSurge rounds up, maxUnavailable down; both 0 would never progress, so unavailable becomes 1. */
export function fenceposts(maxSurge: number | string | undefined, maxUnavailable: number | string | undefined, replicas: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge, replicas, true, '25%');
  let unavailable = scaledValue(maxUnavailable, replicas, false, '25%');
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable: Math.min(unavailable, replicas) };
}

const sum = (list: readonly RsCounts[], f: (r: RsCounts) => number): number => list.reduce((n, r) => n + f(r), 0);

/** NewRSNewReplicas for RollingUpdate: the new ReplicaSet's size, growing into the surge room. */
export function newReplicaSetSize(replicas: number, surge: number, newRs: RsCounts | undefined, old: readonly RsCounts[]): number {
  const current = newRs?.replicas ?? 0;
  const all = sum(old, (r) => r.replicas) + current;
  const maxTotal = replicas + surge;
  if (all >= maxTotal) return current;
  return current + Math.min(maxTotal - all, replicas - current);
}

/**
 * reconcileOldReplicaSets: the old ReplicaSets' new sizes (only those that change), first
 * scaling away their unavailable pods, then available ones down to minAvailable.
 */
export function scaleDownOld(replicas: number, unavailable: number, newRs: RsCounts | undefined, old: readonly RsCounts[]): Map<string, number> {
  const out = new Map<string, number>();
  const size = new Map(old.map((r) => [r.name, r.replicas]));
  const oldest = [...old].sort((a, b) => a.created.localeCompare(b.created) || a.name.localeCompare(b.name));
  if (sum(old, (r) => r.replicas) === 0) return out;
  const all = sum(old, (r) => r.replicas) + (newRs?.replicas ?? 0);
  const minAvailable = replicas - unavailable;
  const newUnavailable = (newRs?.replicas ?? 0) - (newRs?.available ?? 0);
  const maxScaledDown = all - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return out;
  // Unhealthy pods first: they give no availability.
  let cleaned = 0;
  for (const r of oldest) {
    if (cleaned >= maxScaledDown) break;
    const current = size.get(r.name)!;
    if (current === 0 || r.available >= current) continue;
    const down = Math.min(maxScaledDown - cleaned, current - r.available);
    size.set(r.name, current - down);
    cleaned += down;
  }
  // Then available pods, as long as minAvailable stays.
  const available = sum(old, (r) => r.available) + (newRs?.available ?? 0);
  const allowed = available - minAvailable;
  let scaled = 0;
  for (const r of oldest) {
    if (scaled >= allowed) break;
    const current = size.get(r.name)!;
    if (current === 0) continue;
    const down = Math.min(current, allowed - scaled);
    size.set(r.name, current - down);
    scaled += down;
  }
  for (const r of old) if (size.get(r.name) !== r.replicas) out.set(r.name, size.get(r.name)!);
  return out;
}

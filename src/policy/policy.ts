// Which burst policy applies to a pod, decided from CCE's labels and ScheduleProfiles as pure
// data. The most specific source wins: the pod's own label (a workload's template labels arrive
// on its pods), then the workload's own label (CCE's documented example puts it on the
// Deployment), then a matching ScheduleProfile's strategy, then the namespace's label. A
// matching profile's maxNum and scale-down priorities apply whichever source chose the strategy.

export const POLICIES = ['off', 'enforce', 'localPrefer', 'auto'] as const;
export type Policy = (typeof POLICIES)[number];

/** CCE's label, then the older one its add-on still honours. The first present on an object wins. */
export const POLICY_LABELS = ['bursting.cci.io/burst-to-cci', 'virtual-kubelet.io/burst-to-cci'] as const;

export type PolicySource = 'pod' | 'workload' | 'profile' | 'namespace';

type Labels = Readonly<Record<string, string>> | undefined;

export function isPolicy(value: string): value is Policy {
  return (POLICIES as readonly string[]).includes(value);
}

/** A workload as the policy sees it: its kind, name and own labels. */
export interface WorkloadRef {
  kind: string;
  namespace: string;
  name: string;
  uid: string;
}

/** What a matched ScheduleProfile contributes (see profile.ts). */
export interface ProfileTerms {
  namespace: string;
  name: string;
  strategy: Policy;
  /** At most this many of the workload's pods on cluster nodes; undefined = no limit. */
  maxLocal: number | undefined;
  /** Higher = removed first on scale-in (CCE's scaleDownPriority). */
  scaleDownPriority: { local: number; cci: number };
  /** The CCI Network (subnet) of the workload's burst pods (burstlet's location.cci.network). */
  network?: string;
}

export interface PolicyInputs {
  podLabels: Labels;
  workload: (WorkloadRef & { labels: Labels }) | undefined;
  namespaceLabels: Labels;
  profile: ProfileTerms | undefined;
}

export interface PolicyDecision {
  policy: Policy;
  source: PolicySource;
  workload: WorkloadRef | undefined;
  profile: ProfileTerms | undefined;
}

export interface Resolution {
  /** undefined: nothing asks for a policy, and the pod is left exactly as it came. */
  decision: PolicyDecision | undefined;
  /** Label values that are not a policy, each skipped with a message for the user. */
  warnings: string[];
}

function labelPolicy(labels: Labels, where: string, warnings: string[]): Policy | undefined {
  for (const key of POLICY_LABELS) {
    const value = labels?.[key];
    if (value === undefined) continue;
    if (isPolicy(value)) return value;
    warnings.push(`${where} label ${key}=${JSON.stringify(value)} is not a burst policy (one of ${POLICIES.join(', ')}); it is ignored`);
  }
  return undefined;
}

export function resolvePolicy(inputs: PolicyInputs): Resolution {
  const warnings: string[] = [];
  const { workload, profile } = inputs;
  const ref = workload ? { kind: workload.kind, namespace: workload.namespace, name: workload.name, uid: workload.uid } : undefined;
  // Consulted in order and only as far as needed: a bad label below the deciding one says nothing.
  const sources: [PolicySource, () => Policy | undefined][] = [
    ['pod', () => labelPolicy(inputs.podLabels, 'pod', warnings)],
    ['workload', () => (workload ? labelPolicy(workload.labels, `${workload.kind} ${workload.name}`, warnings) : undefined)],
    ['profile', () => profile?.strategy],
    ['namespace', () => labelPolicy(inputs.namespaceLabels, 'namespace', warnings)],
  ];
  for (const [source, read] of sources) {
    const policy = read();
    if (policy !== undefined) return { decision: { policy, source, workload: ref, profile }, warnings };
  }
  return { decision: undefined, warnings };
}

// `burstlet node --leader-elect`: kube-controller-manager's flag names and checks, with timings
// short enough that a standby takes over within 15 s of the leader dying (lease duration plus up
// to two retry periods: the standby notices the last renewal late by at most one, and checks
// again after at most one more).
import type { LeaderElectionConfig } from '../kube/leader-election.ts';
import { boolFlag, durationFlag, stringFlag, UsageError, type FlagValues } from '../flags/flags.ts';

export const leaderElectionFlags = {
  'leader-elect': boolFlag(
    'Run as one of several replicas: they elect a leader on a Lease and only the leader registers the node, runs its pods and serves the kubelet API; the others serve the webhook and wait to take over',
  ),
  'leader-elect-lease-duration': durationFlag('How long a standby waits, after the last renewal it saw, before taking the Lease of a leader that stopped renewing', 10_000),
  'leader-elect-renew-deadline': durationFlag('How long the leader keeps trying to renew before it gives up leadership (and exits, to be restarted as a standby)', 7_000),
  'leader-elect-retry-period': durationFlag('How often candidates try to take the Lease and the leader renews it', 2_000),
  'leader-elect-resource-namespace': stringFlag('Namespace of the election Lease', 'kube-system', 'a namespace name'),
  'leader-elect-resource-name': stringFlag('Name of the election Lease; empty = burstlet-node-<nodename>', '', 'a Lease name'),
} as const;

type Values = FlagValues<typeof leaderElectionFlags>;

/** The election's settings, or undefined without --leader-elect; inconsistent timings exit 2. */
export function leaderElectionConfig(v: Values, nodeName: string): LeaderElectionConfig | undefined {
  if (!v['leader-elect']) return undefined;
  const lease = v['leader-elect-lease-duration'];
  const renew = v['leader-elect-renew-deadline'];
  const retry = v['leader-elect-retry-period'];
  if (lease % 1000 !== 0 || lease < 2000) {
    throw new UsageError(`burstlet node: --leader-elect-lease-duration=${lease}ms: expected whole seconds, at least 2s (a Lease counts in seconds)`);
  }
  if (!(retry < renew && renew < lease)) {
    throw new UsageError(
      'burstlet node: --leader-elect-retry-period < --leader-elect-renew-deadline < --leader-elect-lease-duration must hold ' +
      `(got ${retry}ms, ${renew}ms, ${lease}ms): a leader must give up before a standby may take over`,
    );
  }
  return {
    namespace: v['leader-elect-resource-namespace'],
    name: v['leader-elect-resource-name'] || `burstlet-node-${nodeName}`,
    leaseDurationSeconds: lease / 1000,
    renewDeadlineMs: renew,
    retryMs: retry,
  };
}

import { describe, expect, it } from 'vitest';
import { defineSubcommand, parseFlags, UsageError } from '../../src/flags/flags.ts';
import { leaderElectionConfig, leaderElectionFlags } from '../../src/cli/leader-election-flags.ts';

const command = defineSubcommand({ name: 'node', summary: '', flags: leaderElectionFlags, run() {} });
const config = (...args: string[]) => leaderElectionConfig(parseFlags(command, args), 'burst-cci');

describe('--leader-elect flags', () => {
  it('are off by default', () => {
    expect(config()).toBeUndefined();
  });

  it('default to a Lease per node in kube-system, with a takeover under 15 s', () => {
    const c = config('--leader-elect')!;
    expect(c).toEqual({ namespace: 'kube-system', name: 'burstlet-node-burst-cci', leaseDurationSeconds: 10, renewDeadlineMs: 7_000, retryMs: 2_000 });
    // A standby sees the last renewal at most a retry period late and checks again at most one later.
    expect(c.leaseDurationSeconds * 1000 + 2 * c.retryMs).toBeLessThanOrEqual(15_000);
  });

  it('take the Lease\'s place and timings from the flags', () => {
    expect(config('--leader-elect', '--leader-elect-resource-namespace=burst', '--leader-elect-resource-name=mine', '--leader-elect-lease-duration=30s',
      '--leader-elect-renew-deadline=20s', '--leader-elect-retry-period=5s')).toEqual({
      namespace: 'burst', name: 'mine', leaseDurationSeconds: 30, renewDeadlineMs: 20_000, retryMs: 5_000,
    });
  });

  it.each([
    [['--leader-elect-lease-duration=1500ms'], /--leader-elect-lease-duration=1500ms: expected whole seconds/],
    [['--leader-elect-lease-duration=1s', '--leader-elect-renew-deadline=500ms', '--leader-elect-retry-period=100ms'], /at least 2s/],
    [['--leader-elect-renew-deadline=10s'], /retry-period < --leader-elect-renew-deadline < --leader-elect-lease-duration must hold \(got 2000ms, 10000ms, 10000ms\)/],
    [['--leader-elect-retry-period=7s'], /must hold/],
  ])('refuse inconsistent timings %j, naming the flags', (args, message) => {
    expect(() => config('--leader-elect', ...args)).toThrow(UsageError);
    expect(() => config('--leader-elect', ...args)).toThrow(message);
  });
});

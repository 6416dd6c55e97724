// What only the elected replica runs: the pod and node informers behind the ledger, and from them
// placement of gated pods, the missed-policy check, burst pods' deletion cost, ScheduleProfile
// status, and (with --rebalance) moving burst pods home. All of it stops when leadership ends.
import type { Logger } from '../log/logger.ts';
import type { KubeClient } from '../kube/client.ts';
import type { Pod } from '../kube/wire.ts';
import { DeletionCostWriter } from './deletion-cost.ts';
import type { EventSink } from './events.ts';
import { projectedCache, projectNode, projectPod } from './informers.ts';
import type { Clock } from '../kube/clock.ts';
import type { PolicyLookup } from './lookup.ts';
import { MissedPolicyDetector } from './missed.ts';
import { isVirtualNode, PodLedger } from './pod-ledger.ts';
import { PlacementController } from './placement/controller.ts';
import { PROFILE_GROUP, PROFILE_PLURAL, PROFILE_VERSION, type ScheduleProfile } from './profile.ts';
import { profileStatus, statusDiffers } from './profile-status.ts';
import { Rebalancer, type BurstPod } from './rebalance.ts';
import type { WorkloadIndex } from './workloads.ts';
import { errorMessage } from '../log/error-message.ts';

/** How often ScheduleProfile status is brought up to date (when something changed). */
const STATUS_EVERY_MS = 5_000;

export interface PolicyMetrics {
  admission(seconds: number, policy: string | undefined, source: string | undefined): void;
  placement(policy: string, placement: string): void;
  eviction(outcome: string): void;
}

export interface LeaderControllerOptions {
  kube: Pick<KubeClient, 'request' | 'watch'>;
  lookup: PolicyLookup;
  workloads: WorkloadIndex;
  profiles: () => ScheduleProfile[];
  events: EventSink;
  excludedNamespaces: readonly string[];
  rebalance: { enabled: boolean; intervalMs: number };
  metrics: PolicyMetrics | undefined;
  clock: Clock;
  log: Logger;
}

export interface LeaderControllers {
  ledger: PodLedger;
  /** Something a profile's status depends on changed. */
  profilesChanged(): void;
  stop(): void;
}

export async function startLeaderControllers(o: LeaderControllerOptions): Promise<LeaderControllers> {
  const { kube, log } = o;
  const ledger = new PodLedger();
  const placement = new PlacementController({ kube, ledger, events: o.events, log: log.child({ controller: 'placement' }), ...(o.metrics ? { onPlacement: o.metrics.placement } : {}) });
  const missed = new MissedPolicyDetector({ kube, lookup: o.lookup, events: o.events, excludedNamespaces: o.excludedNamespaces, log });
  const costs = new DeletionCostWriter(kube, log);
  let synced = false;
  const onPod = (key: string, pod: Pod | undefined): void => {
    placement.podChanged(key, pod);
    if (!pod) return;
    missed.check(pod).catch((err: Error) => log.warn({ err: err.message }, 'missed-policy check failed'));
    const nodeName = pod.spec?.nodeName;
    if (nodeName && isVirtualNode(ledger.node(nodeName))) void costs.burstPod(pod, ledger.applied(key));
  };
  const nodes = projectedCache(kube, '/api/v1/nodes', projectNode, (key, node) => ledger.setNode(node?.metadata?.name ?? key.replace(/^\//, ''), node), log);
  const pods = projectedCache(kube, '/api/v1/pods', projectPod, (key, pod, previous) => {
    ledger.setPod(key, pod);
    if (!pod && previous?.metadata?.uid) costs.forget(previous.metadata.uid);
    if (synced) onPod(key, pod);
  }, log);
  await nodes.start();
  await pods.start();
  synced = true;
  for (const [key, pod] of ledger.allPods()) onPod(key, pod);

  const rebalancer = o.rebalance.enabled
    ? new Rebalancer({
      kube, ledger, events: o.events, clock: o.clock, intervalMs: o.rebalance.intervalMs, log: log.child({ controller: 'rebalance' }),
      workload: (uid) => o.workloads.get(uid),
      burstPods: () => {
        const out: BurstPod[] = [];
        for (const [key, pod] of ledger.allPods()) {
          const applied = ledger.applied(key);
          const nodeName = pod.spec?.nodeName;
          if (applied && nodeName && isVirtualNode(ledger.node(nodeName))) out.push({ key, pod, applied });
        }
        return out;
      },
      ...(o.metrics ? { onEviction: o.metrics.eviction } : {}),
    })
    : undefined;
  rebalancer?.start();

  let statusDirty = true;
  let stopped = false;
  let cancelStatus: (() => void) | undefined;
  const writeStatus = async (): Promise<void> => {
    if (!statusDirty) return;
    statusDirty = false;
    const all = o.profiles();
    for (const p of all) {
      const next = profileStatus(p, all, o.workloads.all());
      if (!statusDiffers(p.status, next)) continue;
      const { namespace, name } = p.metadata ?? {};
      try {
        await kube.request('PATCH', `/apis/${PROFILE_GROUP}/${PROFILE_VERSION}/namespaces/${namespace}/${PROFILE_PLURAL}/${name}/status`, { body: { status: next }, contentType: 'application/merge-patch+json' });
      } catch (err) {
        statusDirty = true;
        log.warn({ profile: `${namespace}/${name}`, err: errorMessage(err) }, 'ScheduleProfile status not written');
      }
    }
  };
  const statusLoop = (): void => {
    if (stopped) return;
    cancelStatus = o.clock.after(STATUS_EVERY_MS, () => void writeStatus().finally(statusLoop));
  };
  statusLoop();
  log.info({ rebalance: o.rebalance.enabled }, 'policy controllers running (leader)');

  return {
    ledger,
    profilesChanged() {
      statusDirty = true;
    },
    stop() {
      stopped = true;
      cancelStatus?.();
      rebalancer?.stop();
      placement.stop();
      pods.stop();
      nodes.stop();
    },
  };
}

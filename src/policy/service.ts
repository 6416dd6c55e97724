// The burst policy in `burstlet node` (--webhook-port): every replica watches namespaces,
// ScheduleProfiles and workloads and serves the admission webhook with a certificate it keeps in
// a Secret; one replica, elected on a Lease, runs the controllers that need the whole cluster.
// The webhook only starts answering once its caches hold their first lists: a pod admitted
// before the namespace labels are known would miss its policy.
import { hostname } from 'node:os';
import type { Logger } from '../log/logger.ts';
import type { KubeClient } from '../kube/client.ts';
import type { EventSink } from './events.ts';
import { projectedCache, projectNamespace, type NamespaceView } from './informers.ts';
import { LeaderElector } from '../kube/leader-election.ts';
import { systemClock, type Clock } from '../kube/clock.ts';
import { startLeaderControllers, type LeaderControllers, type PolicyMetrics } from './leader-controllers.ts';
import type { PolicyLookup } from './lookup.ts';
import type { Taint } from './mutation.ts';
import { OptionalWatch } from './optional-watch.ts';
import { governingProfile, PROFILES_PATH, type ScheduleProfile } from './profile.ts';
import { WebhookCertificate, type WebhookCerts, type WebhookIdentity } from './webhook/certificate.ts';
import { startWebhookServer } from './webhook/server.ts';
import { projectWorkload, WORKLOAD_KINDS, WorkloadIndex, type WorkloadRecord } from './workloads.ts';

export type { PolicyMetrics };

/** Namespaces the webhook's namespaceSelector leaves out, and the leader's checks too. */
export const EXCLUDED_NAMESPACES = ['kube-system'] as const;
/** How often the certificate and the caBundle are checked. */
const CERT_CHECK_MS = 60_000;
/** How long the webhook waits for a workload its informers have not shown yet. */
const WORKLOAD_FETCH_MS = 2_000;

export interface PolicyOptions {
  kube: KubeClient;
  /** Where the webhook listens, and how the API server reaches it. */
  webhook: { address: string; port: number; identity: WebhookIdentity };
  /** The virtual nodes' taints: what a pod allowed to burst must tolerate. */
  taints: readonly Taint[];
  rebalance: { enabled: boolean; intervalMs: number };
  events: EventSink;
  metrics?: PolicyMetrics;
  clock?: Clock;
  log: Logger;
}

export interface PolicyService {
  webhookPort: number;
  isLeader(): boolean;
  /** Policy workloads' pods by location (the leader's count; empty elsewhere). */
  podsByLocation(): { namespace: string; workload: string; local: number; cci: number }[];
  stop(): Promise<void>;
}

export async function startPolicy(o: PolicyOptions): Promise<PolicyService> {
  const { kube, log } = o;
  const clock = o.clock ?? systemClock;
  let leader: LeaderControllers | undefined;
  const profilesChanged = (): void => leader?.profilesChanged();

  const namespaces = projectedCache<NamespaceView>(kube, '/api/v1/namespaces', projectNamespace, () => {}, log);
  const workloads = new WorkloadIndex();
  const workloadReflectors = WORKLOAD_KINDS.map(({ kind, path }) => new OptionalWatch<WorkloadRecord>({
    kube, path, clock, log,
    project: (raw) => projectWorkload(kind, raw),
    onChange: (_key, record, previous) => {
      workloads.set(record, previous);
      profilesChanged();
    },
    missing: `${kind} labels and profiles do not apply to its pods`,
  }));
  const profiles = new OptionalWatch<ScheduleProfile>({
    kube, path: PROFILES_PATH, clock, log, project: (raw) => raw, onChange: profilesChanged,
    missing: 'the ScheduleProfile CRD (scheduling.cci.io/v2) is not installed, so profiles are off until it is (manifests/crd-scheduleprofile.yaml)',
  });
  await Promise.all([namespaces.start(), ...workloadReflectors.map((r) => r.start()), profiles.start()]);

  const lookup: PolicyLookup = {
    namespaceLabels: (ns) => namespaces.get(`/${ns}`)?.metadata.labels,
    namespaceNetwork: (ns) => namespaces.get(`/${ns}`)?.network,
    governingProfile: (ns, labels) => governingProfile(profiles.list(), ns, labels),
    resolveWorkload: (pod) => workloads.resolve(pod, async (ref) => {
      const i = WORKLOAD_KINDS.findIndex((k) => k.kind === ref.kind);
      // A kind the API server does not serve has no object to fetch.
      if (!workloadReflectors[i]!.active) return undefined;
      const path = WORKLOAD_KINDS[i]!.path.replace(/\/([a-z]+)$/, `/namespaces/${ref.namespace}/$1/${ref.name}`);
      return projectWorkload(ref.kind, await kube.request('GET', path, { timeoutMs: WORKLOAD_FETCH_MS }));
    }),
    taints: o.taints,
  };

  const certificate = new WebhookCertificate(kube, o.webhook.identity, log.child({ component: 'webhook-certificate' }));
  let certs: WebhookCerts = await certificate.ensure();
  const server = await startWebhookServer({
    host: o.webhook.address,
    port: o.webhook.port,
    tls: certs.serving,
    context: lookup,
    onAdmission: (seconds, a) => o.metrics?.admission(seconds, a.decision?.policy, a.decision?.source),
    log: log.child({ component: 'webhook' }),
  });
  const syncCaBundle = (): Promise<void> =>
    certificate.syncCaBundle(certs.ca.certPem).then(() => {}, (err: Error) => log.warn({ err: err.message }, 'webhook caBundle not updated'));
  await syncCaBundle();
  let stopped = false;
  let cancelCertCheck: (() => void) | undefined;
  const certCheck = (): void => {
    if (stopped) return;
    cancelCertCheck = clock.after(CERT_CHECK_MS, () => {
      certificate.ensure().then((next) => {
        if (next.serving.certPem !== certs.serving.certPem) server.setCertificate(next.serving);
        certs = next;
        return syncCaBundle();
      }).catch((err: Error) => log.warn({ err: err.message }, 'webhook certificate not checked')).finally(certCheck);
    });
  };
  certCheck();

  const elector = new LeaderElector({
    kube,
    namespace: o.webhook.identity.namespace,
    name: 'burstlet-policy',
    identity: `${hostname()}_${process.pid}`,
    clock,
    log: log.child({ component: 'leader-election' }),
    onStartedLeading: (signal) => {
      startLeaderControllers({
        kube, lookup, workloads, profiles: () => profiles.list(), events: o.events, excludedNamespaces: EXCLUDED_NAMESPACES,
        rebalance: o.rebalance, metrics: o.metrics, clock, log: log.child({ component: 'policy-leader' }),
      }).then((controllers) => {
        if (signal.aborted) controllers.stop();
        else leader = controllers;
      }, (err: Error) => log.error({ err: err.message }, 'policy controllers did not start'));
      signal.addEventListener('abort', () => {
        leader?.stop();
        leader = undefined;
      }, { once: true });
    },
  });
  elector.start();
  log.info({ port: server.port }, 'burst-policy webhook serving');

  return {
    webhookPort: server.port,
    isLeader: () => elector.isLeader,
    podsByLocation: () => leader?.ledger.countsByWorkload() ?? [],
    async stop() {
      stopped = true;
      cancelCertCheck?.();
      await elector.stop();
      await server.close();
      profiles.stop();
      namespaces.stop();
      for (const r of workloadReflectors) r.stop();
    },
  };
}

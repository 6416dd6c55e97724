// Pods the webhook never saw: with failurePolicy Ignore a pod created while the webhook was down
// (or before it was installed) is admitted without its policy. The leader finds each pod that
// asks for a policy and carries no applied-policy annotation, posts a Warning event saying so
// (`kubectl describe pod` shows it), and annotates the pod with what was skipped and why, so the
// event is posted once and the controllers still know the pod's policy and workload.
import type { Logger } from '../log/logger.ts';
import type { KubeClient } from '../kube/client.ts';
import type { Pod } from '../kube/wire.ts';
import type { EventSink } from './events.ts';
import { policyFor, type PolicyLookup } from './lookup.ts';
import { APPLIED_ANNOTATION, type AppliedPolicy } from './mutation.ts';
import type { PolicyDecision } from './policy.ts';
import { errorMessage } from '../log/error-message.ts';

export const MISSED_REASON = 'BurstPolicyNotApplied';

/** The annotation recording that nothing was applied, and why. */
export function missedAnnotation(decision: PolicyDecision): AppliedPolicy {
  const { workload, profile } = decision;
  return {
    policy: decision.policy,
    source: decision.source,
    ...(workload ? { workload: `${workload.kind}/${workload.name}`, workloadUid: workload.uid } : {}),
    ...(profile ? { profile: `${profile.namespace}/${profile.name}`, deletionCost: { local: -profile.scaleDownPriority.local, cci: -profile.scaleDownPriority.cci } } : {}),
    applied: [],
    skipped: 'the admission webhook did not see this pod at creation (unreachable, or not installed yet)',
  };
}

export function missedMessage(decision: PolicyDecision): string {
  return `created without its burst policy: the admission webhook was unreachable when the pod was created (failurePolicy Ignore admitted it); policy ${decision.policy} (from the ${decision.source}${decision.source === 'profile' ? ` ${decision.profile?.namespace}/${decision.profile?.name}` : ' label'}) was not applied; delete the pod to have its controller recreate it with the policy`;
}

export class MissedPolicyDetector {
  readonly #kube: Pick<KubeClient, 'request'>;
  readonly #lookup: PolicyLookup;
  readonly #events: EventSink;
  readonly #excluded: ReadonlySet<string>;
  readonly #log: Logger;
  /** Pods already looked at: whether a pod was admitted without its policy is settled once. */
  readonly #checked = new Set<string>();

  constructor(o: { kube: Pick<KubeClient, 'request'>; lookup: PolicyLookup; events: EventSink; excludedNamespaces: readonly string[]; log: Logger }) {
    this.#kube = o.kube;
    this.#lookup = o.lookup;
    this.#events = o.events;
    this.#excluded = new Set(o.excludedNamespaces);
    this.#log = o.log;
  }

  async check(pod: Pod): Promise<void> {
    const m = pod.metadata ?? {};
    const uid = m.uid ?? '';
    const phase = pod.status?.phase;
    if (m.annotations?.[APPLIED_ANNOTATION] !== undefined || this.#checked.has(uid)) return;
    if (m.deletionTimestamp || phase === 'Succeeded' || phase === 'Failed' || this.#excluded.has(m.namespace ?? '')) return;
    if (this.#checked.size >= 100_000) this.#checked.clear();
    this.#checked.add(uid);
    const resolution = await policyFor(pod, m.namespace ?? '', this.#lookup);
    if (resolution === 'daemonset' || !resolution.decision) return;
    const decision = resolution.decision;
    this.#events.record({ kind: 'Pod', namespace: m.namespace ?? '', name: m.name ?? '', uid }, 'Warning', MISSED_REASON, missedMessage(decision));
    try {
      await this.#kube.request('PATCH', `/api/v1/namespaces/${m.namespace}/pods/${m.name}`, {
        body: { metadata: { annotations: { [APPLIED_ANNOTATION]: JSON.stringify(missedAnnotation(decision)) } } },
        contentType: 'application/merge-patch+json',
      });
    } catch (err) {
      this.#log.debug({ pod: `${m.namespace}/${m.name}`, err: errorMessage(err) }, 'missed-policy annotation not written');
    }
  }
}

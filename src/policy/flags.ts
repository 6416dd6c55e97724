// The burst-policy flags of `burstlet node`; the node command spreads `policyFlags` into its own.
import { isIP } from 'node:net';
import { boolFlag, dnsDomain, durationFlag, intFlag, listFlag, stringFlag, type FlagDef } from '../flags/flags.ts';


export const DEFAULT_WEBHOOK_SERVICE = 'kube-system/burstlet-webhook';
export const DEFAULT_WEBHOOK_CONFIGURATION = 'burstlet';

/** namespace/name of a Service. */
function serviceRef(raw: string): { namespace: string; name: string } {
  const parts = raw.split('/');
  if (parts.length !== 2) throw new Error('not namespace/name');
  const [namespace, name] = parts.map((p) => {
    if (p.length > 63 || p.includes('.')) throw new Error(`${JSON.stringify(p)} is not a DNS label`);
    return dnsDomain(p);
  });
  return { namespace: namespace!, name: name! };
}

const serviceFlag: FlagDef<{ namespace: string; name: string }> = {
  help: 'The Service in front of the webhook: its DNS names go in the webhook\'s certificate, kept with its CA in the Secret <name>-tls of that namespace, where the leader-election Lease burstlet-policy lives too',
  accepted: 'namespace/name',
  default: serviceRef(DEFAULT_WEBHOOK_SERVICE),
  parse: serviceRef,
  show: (v) => `${v.namespace}/${v.name}`,
};

export const policyFlags = {
  'webhook-port': intFlag(
    'Port of the burst-policy admission webhook (HTTPS on --address, POST /mutate) and switch of the policy: ScheduleProfiles, placement of localPrefer pods, burst-first scale-in; 0 = off',
    0, 0, 65535,
  ),
  'webhook-service': serviceFlag,
  'webhook-hosts': listFlag('Further DNS names or IP addresses the webhook\'s certificate covers (a clientConfig.url host)', 'DNS names or IP addresses', (raw) => (isIP(raw) ? raw : dnsDomain(raw))),
  'webhook-configuration': stringFlag('The MutatingWebhookConfiguration whose caBundle burstlet keeps current', DEFAULT_WEBHOOK_CONFIGURATION, 'a MutatingWebhookConfiguration name'),
  rebalance: boolFlag('Move burst pods of localPrefer and auto workloads back to cluster nodes when these have room, one at a time through the Eviction API (PodDisruptionBudgets hold)'),
  'rebalance-interval': durationFlag('Least time between two moves of --rebalance', 30_000),
} as const;

// The DNS configuration of one pod, computed with the kubelet's rules (pkg/kubelet/network/dns):
// the policy picks the base (cluster, host or nothing), the pod's dnsConfig is appended, and
// the result is cut to the resolver's limits with a Warning event saying what was applied.
import type { V1Pod } from '@kubernetes/client-node';
import type { CciDNSConfig } from '../../cci/types.ts';
import type { DNSOption } from './resolv-conf.ts';

/** Resolver limits the kubelet applies (ExpandedDNSConfig, GA since Kubernetes 1.28). */
export const MAX_NAMESERVERS = 3;
export const MAX_SEARCH_PATHS = 32;
export const MAX_SEARCH_LINE_CHARS = 2048;
/** Longer search entries make some resolvers (glibc 2.28) abort, so they are dropped. */
export const MAX_SEARCH_PATH_CHARS = 253;

export type NameserverOverflow = 'truncate' | 'reject';

export interface DNSEvent {
  type: 'Warning';
  reason: 'DNSConfigForming' | 'MissingClusterDNS';
  message: string;
  /** Which object the event is about: the pod, or (MissingClusterDNS only) also the node. */
  object: 'pod' | 'node';
}

export interface PodDNSInput {
  pod: Pick<V1Pod, 'metadata' | 'spec'>;
  /** The --cluster-dns addresses, in order. */
  clusterDNS: readonly string[];
  /** The --cluster-domain; "" leaves the cluster search domains out, as in the kubelet. */
  clusterDomain: string;
  /**
   * The parsed --resolv-conf file, or null when there is none (the default): then, exactly
   * as a kubelet started with --resolv-conf="", the host contributes no searches and
   * dnsPolicy Default pods get "nameserver 127.0.0.1" and "search .".
   */
  hostResolvConf: CciDNSConfig | null;
  /** truncate (default): keep the first 3 nameservers and warn; reject: refuse the pod. */
  overflow?: NameserverOverflow;
}

export type PodDNSResult =
  | { ok: true; config: CciDNSConfig; events: DNSEvent[] }
  | { ok: false; reason: 'DNSNameserverLimitExceeded'; message: string; events: DNSEvent[] };

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

type Base = 'cluster' | 'host' | 'none';

function baseFor(pod: PodDNSInput['pod']): Base {
  switch (pod.spec?.dnsPolicy) {
    case 'None':
      return 'none';
    case 'Default':
      return 'host';
    case 'ClusterFirstWithHostNet':
      return 'cluster';
    default:
      // ClusterFirst (the API default; also the kubelet's fallback for unknown values),
      // which falls back to the host's settings for a hostNetwork pod.
      return pod.spec?.hostNetwork ? 'host' : 'cluster';
  }
}

/** Options merged by name: existing order kept, the pod's value replaces, new names appended. */
function mergeOptions(existing: readonly DNSOption[], fromPod: readonly DNSOption[]): DNSOption[] {
  const merged = new Map<string, string | undefined>();
  for (const o of [...existing, ...fromPod]) merged.set(o.name, o.value === '' ? undefined : o.value);
  return [...merged].map(([name, value]) => (value === undefined ? { name } : { name, value }));
}

function fitSearches(searches: string[]): { searches: string[]; exceeded: boolean } {
  // Same order of checks as the kubelet: entry count, then over-long entries, then line length.
  let exceeded = searches.length > MAX_SEARCH_PATHS;
  let kept = searches.slice(0, MAX_SEARCH_PATHS);
  const short = kept.filter((s) => s.length <= MAX_SEARCH_PATH_CHARS);
  if (short.length !== kept.length) exceeded = true;
  kept = short;
  let lineLength = kept.join(' ').length;
  if (lineLength > MAX_SEARCH_LINE_CHARS) {
    exceeded = true;
    while (kept.length > 0 && lineLength > MAX_SEARCH_LINE_CHARS) lineLength -= kept.pop()!.length + 1;
  }
  return { searches: kept, exceeded };
}

/** The kubelet's format.Pod: name_namespace(uid). */
function podRef(pod: PodDNSInput['pod']): string {
  return `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}(${pod.metadata?.uid ?? ''})`;
}

export function computePodDNS(input: PodDNSInput): PodDNSResult {
  const { pod, clusterDNS, clusterDomain, hostResolvConf } = input;
  const events: DNSEvent[] = [];
  const host: CciDNSConfig = hostResolvConf ?? { nameservers: [], searches: [], options: [] };
  let config: CciDNSConfig = { nameservers: [...host.nameservers], searches: [...host.searches], options: [...host.options] };

  let base = baseFor(pod);
  if (base === 'cluster' && clusterDNS.length === 0) {
    const message = 'kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.';
    events.push({ type: 'Warning', reason: 'MissingClusterDNS', message, object: 'node' });
    events.push({ type: 'Warning', reason: 'MissingClusterDNS', message: `pod: ${JSON.stringify(podRef(pod))}. ${message}`, object: 'pod' });
    base = 'host';
  }
  if (base === 'none') {
    config = { nameservers: [], searches: [], options: [] };
  } else if (base === 'cluster') {
    const clusterSearch = clusterDomain === ''
      ? []
      : [`${pod.metadata?.namespace ?? 'default'}.svc.${clusterDomain}`, `svc.${clusterDomain}`, clusterDomain];
    config = {
      // The cluster DNS is the only upstream; it forwards what it cannot answer.
      nameservers: [...clusterDNS],
      searches: unique([...clusterSearch, ...host.searches]),
      options: [{ name: 'ndots', value: '5' }],
    };
  } else if (hostResolvConf === null) {
    config = { nameservers: ['127.0.0.1'], searches: ['.'], options: [] };
  }

  const podDNS = pod.spec?.dnsConfig;
  if (podDNS) {
    config = {
      nameservers: unique([...config.nameservers, ...(podDNS.nameservers ?? [])]),
      searches: unique([...config.searches, ...(podDNS.searches ?? [])]),
      options: mergeOptions(config.options, (podDNS.options ?? []).map((o) => ({ name: o.name ?? '', value: o.value }))),
    };
  }

  if (config.nameservers.length > MAX_NAMESERVERS) {
    if (input.overflow === 'reject') {
      return {
        ok: false,
        reason: 'DNSNameserverLimitExceeded',
        message:
          `the pod would have ${config.nameservers.length} nameservers (${config.nameservers.join(' ')}: ` +
          `--cluster-dns or the host resolv.conf, then spec.dnsConfig.nameservers) but at most ${MAX_NAMESERVERS} are allowed; ` +
          `remove nameservers from spec.dnsConfig, or run burstlet with --dns-nameserver-overflow=truncate to keep the first ${MAX_NAMESERVERS}`,
        events,
      };
    }
    config.nameservers = config.nameservers.slice(0, MAX_NAMESERVERS);
    events.push({
      type: 'Warning',
      reason: 'DNSConfigForming',
      message: `Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${config.nameservers.join(' ')}`,
      object: 'pod',
    });
  }
  const fitted = fitSearches(config.searches);
  config.searches = fitted.searches;
  if (fitted.exceeded) {
    events.push({
      type: 'Warning',
      reason: 'DNSConfigForming',
      message: `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${config.searches.join(' ')}`,
      object: 'pod',
    });
  }
  return { ok: true, config, events };
}

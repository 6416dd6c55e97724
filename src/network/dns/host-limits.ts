// The kubelet's start-up check of its --resolv-conf (CheckLimitsForResolvConf): a host search
// line that would push pods past the resolver limits earns the node a Warning event.
import type { CciDNSConfig } from '../../cci/types.ts';
import { MAX_SEARCH_LINE_CHARS, MAX_SEARCH_PATH_CHARS, MAX_SEARCH_PATHS } from './pod-dns.ts';

export const CHECK_LIMITS_REASON = 'CheckLimitsForResolvConf';

/** The first limit the host file breaks, as the kubelet words it, or undefined when it fits. */
export function checkHostResolvConf(path: string, host: CciDNSConfig, clusterDomain: string): string | undefined {
  // ClusterFirst pods put three cluster domains in front of the host's.
  const maxDomains = clusterDomain === '' ? MAX_SEARCH_PATHS : MAX_SEARCH_PATHS - 3;
  if (host.searches.length > maxDomains) {
    return `Resolv.conf file '${path}' contains search line consisting of more than ${maxDomains} domains!`;
  }
  if (host.searches.some((s) => s.length > MAX_SEARCH_PATH_CHARS)) {
    return `Resolv.conf file ${JSON.stringify(path)} contains a search path which length is more than allowed ${MAX_SEARCH_PATH_CHARS} chars!`;
  }
  if (host.searches.join(' ').length > MAX_SEARCH_LINE_CHARS) {
    return `Resolv.conf file '${path}' contains search line which length is more than allowed ${MAX_SEARCH_LINE_CHARS} chars!`;
  }
  return undefined;
}

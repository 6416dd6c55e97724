// How a pod's CciDNSConfig becomes its /etc/resolv.conf: the backend writes exactly this.
// One nameserver line per server, then one search line, then one options line (the kubelet's
// dockershim layout), absent parts left out. Nameservers come first because CCE's documented
// check reads the cluster DNS "following nameserver in the first line" of a burst pod's file.
import type { CciDNSConfig } from './types.ts';

export type DNSOption = CciDNSConfig['options'][number];

export function formatOption(o: DNSOption): string {
  return o.value === undefined || o.value === '' ? o.name : `${o.name}:${o.value}`;
}

export function renderResolvConf(config: CciDNSConfig): string {
  let out = '';
  for (const server of config.nameservers) out += `nameserver ${server}\n`;
  if (config.searches.length > 0) out += `search ${config.searches.join(' ')}\n`;
  if (config.options.length > 0) out += `options ${config.options.map(formatOption).join(' ')}\n`;
  return out;
}

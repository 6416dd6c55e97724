// resolv.conf as text: the parser for the "host" file (--resolv-conf) with the kubelet's
// rules, and the renderer for the file a burst pod sees, in containerd's layout.
import type { CciDNSConfig } from '../../cci/types.ts';

export type DNSOption = CciDNSConfig['options'][number];

/** "ndots:5" → {name: "ndots", value: "5"}; "rotate" → {name: "rotate"}. Splits at the first colon. */
export function parseOption(raw: string): DNSOption {
  const i = raw.indexOf(':');
  return i === -1 ? { name: raw } : { name: raw.slice(0, i), value: raw.slice(i + 1) };
}

export function formatOption(o: DNSOption): string {
  return o.value === undefined || o.value === '' ? o.name : `${o.name}:${o.value}`;
}

export interface ParsedResolvConf {
  config: CciDNSConfig;
  /** Lines the kubelet would also complain about ("nameserver list is empty"). */
  errors: string[];
}

/**
 * Parses resolv.conf text as the kubelet does: `nameserver` lines accumulate; the last
 * `search` line wins and its domains lose one trailing dot (so "a." and "a" count once);
 * the last `options` line wins; `#` comment lines and unknown keywords are ignored.
 */
export function parseResolvConf(text: string): ParsedResolvConf {
  const config: CciDNSConfig = { nameservers: [], searches: [], options: [] };
  const errors: string[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('#')) continue;
    const [keyword, ...rest] = trimmed.split(/\s+/).filter((f) => f !== '');
    if (keyword === 'nameserver') {
      if (rest.length > 0) config.nameservers.push(rest[0]!);
      else errors.push('nameserver list is empty');
    } else if (keyword === 'search') {
      config.searches = rest.map((s) => (s.endsWith('.') ? s.slice(0, -1) : s));
    } else if (keyword === 'options') {
      config.options = rest.map(parseOption);
    }
  }
  return { config, errors };
}

/**
 * The exact file a pod gets: one nameserver line per server, then one search line, then one
 * options line (the kubelet's own dockershim layout), absent parts left out. Nameservers come
 * first because CCE's documented check reads the cluster DNS "following nameserver in the
 * first line" of a burst pod's /etc/resolv.conf.
 */
export function renderResolvConf(config: CciDNSConfig): string {
  let out = '';
  for (const server of config.nameservers) out += `nameserver ${server}\n`;
  if (config.searches.length > 0) out += `search ${config.searches.join(' ')}\n`;
  if (config.options.length > 0) out += `options ${config.options.map(formatOption).join(' ')}\n`;
  return out;
}

// resolv.conf as text: the parser for the "host" file (--resolv-conf) with the kubelet's
// rules; the file a burst pod sees is rendered by src/cci/resolv-conf.ts (re-exported here).
import type { CciDNSConfig } from '../../cci/types.ts';
import type { DNSOption } from '../../cci/resolv-conf.ts';

export { formatOption, renderResolvConf, type DNSOption } from '../../cci/resolv-conf.ts';

/** "ndots:5" → {name: "ndots", value: "5"}; "rotate" → {name: "rotate"}. Splits at the first colon. */
export function parseOption(raw: string): DNSOption {
  const i = raw.indexOf(':');
  return i === -1 ? { name: raw } : { name: raw.slice(0, i), value: raw.slice(i + 1) };
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


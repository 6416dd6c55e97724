// The DNS flags of `burstlet node`, in the kubelet's spelling. The node command spreads
// `dnsFlags` into its own flag set; `loadHostResolvConf` (host-resolv-conf.ts) turns --resolv-conf into input
// for computePodDNS.
import { dnsDomain, enumFlag, ipAddress, listFlag, stringFlag, type FlagDef } from '../../flags/flags.ts';
import { MAX_NAMESERVERS, type NameserverOverflow } from './pod-dns.ts';

function domainFlag(help: string, defaultValue: string): FlagDef<string> {
  return { help, accepted: 'a DNS domain such as cluster.local', default: defaultValue, parse: dnsDomain };
}

export const dnsFlags = {
  'cluster-dns': listFlag(
    'DNS server(s) for pods with dnsPolicy ClusterFirst; only pods created afterwards take a change',
    'IP addresses',
    ipAddress,
    { max: MAX_NAMESERVERS },
  ),
  'cluster-domain': domainFlag('Cluster domain, for the pod search list and /etc/hosts', 'cluster.local'),
  'resolv-conf': stringFlag(
    'The "host" resolv.conf that dnsPolicy Default pods get (and whose search domains ClusterFirst pods add); ' +
      'empty means none, as kubelet --resolv-conf="": Default pods then get nameserver 127.0.0.1',
    '',
    'a file path, or "" for none',
  ),
  'dns-nameserver-overflow': enumFlag<NameserverOverflow>(
    'When cluster DNS plus a pod\'s dnsConfig nameservers exceed 3: truncate keeps the first 3 with a Warning event (the kubelet\'s behaviour), reject refuses the pod',
    'truncate',
    ['truncate', 'reject'],
  ),
} as const;

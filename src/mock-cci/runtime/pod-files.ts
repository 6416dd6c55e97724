// The files a pod sees in place of the host's: /etc/resolv.conf from the pod's DNS config,
// /etc/hosts in the kubelet's managed format, /etc/hostname. Pure renderers.
import type { CciPodSpec } from '../../cci/types.ts';

export { renderResolvConf } from '../../cci/resolv-conf.ts';

/** The kubelet's managedHostsFileContent; `namespace` is the Kubernetes namespace of the pod. */
export function renderHosts(spec: CciPodSpec, podIP: string, namespace: string): string {
  let out =
    '# Kubernetes-managed hosts file.\n' +
    '127.0.0.1\tlocalhost\n' +
    '::1\tlocalhost ip6-localhost ip6-loopback\n' +
    'fe00::0\tip6-localnet\n' +
    'fe00::0\tip6-mcastprefix\n' +
    'fe00::1\tip6-allnodes\n' +
    'fe00::2\tip6-allrouters\n';
  if (spec.subdomain) {
    const domain = `${spec.subdomain}.${namespace}.svc.${spec.clusterDomain ?? 'cluster.local'}`;
    out += `${podIP}\t${spec.hostname}.${domain}\t${spec.hostname}\n`;
  } else {
    out += `${podIP}\t${spec.hostname}\n`;
  }
  if (spec.hostAliases && spec.hostAliases.length > 0) {
    out += '\n# Entries added by HostAliases.\n';
    for (const alias of spec.hostAliases) out += `${alias.ip}\t${alias.hostnames.join('\t')}\n`;
  }
  return out;
}

export function renderHostname(spec: CciPodSpec): string {
  return `${spec.hostname}\n`;
}

// Pod manifests the e2e tests create: a Kubernetes pod for the burst node, and a CCI pod as
// burstlet would send it to the (mock) CCI.
import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import type { CciClient } from '../../src/cci/client.ts';
import type { CciContainer, CciPod } from '../../src/cci/types.ts';

/** A pod bound to the virtual node `node`, tolerating its taint, stopping within 2 s. */
export function burstPod(name: string, node: string, containers: V1Container[], spec: Partial<V1PodSpec> = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName: node,
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 2,
      tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
      ...spec,
      containers,
    },
  };
}

/** A busybox container that sleeps. */
export const sleeper = (name = 'app'): V1Container => ({ name, image: 'busybox', command: ['sleep', '3600'] });

/** A CCI pod of the Kubernetes pod `namespace/name` (uid "uid-<name>"), with cluster DNS. */
export function cciPod(name: string, containers: CciContainer[], namespace = 'default', spec: Partial<CciPod['spec']> = {}): CciPod {
  return {
    apiVersion: 'cci/v2',
    kind: 'Pod',
    metadata: { name, annotations: { 'burstlet.io/pod-uid': `uid-${name}`, 'burstlet.io/pod': `${namespace}/${name}` } },
    spec: {
      restartPolicy: 'Always',
      hostname: name,
      terminationGracePeriodSeconds: 2,
      dnsConfig: { nameservers: ['198.19.0.10'], searches: [`${namespace}.svc.cluster.local`, 'svc.cluster.local'], options: [{ name: 'ndots', value: '5' }] },
      ...spec,
      containers,
    },
  };
}

/** A CCI pod container's whole log so far, or the error that ended reading it (for polling). */
export async function cciLogs(cci: CciClient, name: string, container: string): Promise<string> {
  let out = '';
  try {
    for await (const chunk of await cci.logs(name, { container })) out += (chunk as Buffer).toString();
  } catch (err) {
    out += String(err);
  }
  return out;
}

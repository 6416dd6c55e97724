// `burstlet local --nodes` as users run it (npm start): CCE's own Service example in both
// directions — nginx on the burst node behind a Service, curled from a pod on the cluster node by
// ClusterIP and by DNS name, and the reverse — plus the seed's resolv.conf check, on the embedded
// control plane and on the real one (kube-apiserver, its EndpointSlice controller, CoreDNS). Needs
// the isolated runtime (root, iproute2, nftables: per-pod network namespaces in 198.18.0.0/24 and
// 198.18.16.0/24).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeIsolated } from './support/isolated.ts';
import { kubernetesMissing, kubernetesTitle, startKubernetesCluster } from './support/kubernetes-cluster.ts';
import { startLocalCluster, type LocalCluster } from './support/local-cluster.ts';

const manifests = `
apiVersion: v1
kind: Pod
metadata: {name: burst-web, labels: {app: burst-web}}
spec:
  tolerations: [{key: virtual-kubelet.io/provider, operator: Exists}]
  nodeSelector: {kubernetes.io/hostname: burstlet-cci}
  containers: [{name: nginx, image: nginx, ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: burst-web}
spec: {selector: {app: burst-web}, ports: [{port: 80, targetPort: 80}]}
---
apiVersion: v1
kind: Pod
metadata: {name: cluster-web, labels: {app: cluster-web}}
spec:
  nodeSelector: {kubernetes.io/hostname: cluster-node-1}
  containers: [{name: nginx, image: nginx}]
---
apiVersion: v1
kind: Service
metadata: {name: cluster-web}
spec: {selector: {app: cluster-web}, ports: [{port: 8080, targetPort: 80}]}
---
apiVersion: v1
kind: Pod
metadata: {name: cluster-client}
spec:
  nodeSelector: {kubernetes.io/hostname: cluster-node-1}
  containers: [{name: c, image: centos, command: [sleep, infinity]}]
---
apiVersion: v1
kind: Pod
metadata: {name: burst-client}
spec:
  tolerations: [{key: virtual-kubelet.io/provider, operator: Exists}]
  nodeSelector: {kubernetes.io/hostname: burstlet-cci}
  containers: [{name: c, image: centos, command: [sleep, infinity]}]
`;

function serviceExample(title: string, start: () => Promise<LocalCluster>): void {
  describeIsolated(title, () => {
    let cluster: LocalCluster;

    beforeAll(async () => {
      cluster = await start();
      const applied = await cluster.kubectl.run(['apply', '-f', '-'], { stdin: manifests });
      expect(applied.stderr).toBe('');
      const ready = await cluster.kubectl.run(['wait', '--for=condition=Ready', 'pod/burst-web', 'pod/cluster-web', 'pod/cluster-client', 'pod/burst-client', '--timeout=90s'], { timeoutMs: 100_000 });
      expect(ready.code, ready.stderr).toBe(0);
    }, 200_000);

    afterAll(async () => {
      await cluster?.stop();
    });

    async function curl(from: string, url: string): Promise<string> {
      const r = await cluster.kubectl.run(['exec', from, '--', 'curl', '-s', '-m', '10', '-o', '/dev/null', '-w', '%{http_code}', url], { timeoutMs: 30_000 });
      return `${r.stdout}${r.code === 0 ? '' : ` (exit ${r.code}: ${r.stderr.trim()})`}`;
    }

    async function clusterIP(service: string): Promise<string> {
      return (await cluster.kubectl.run(['get', 'svc', service, '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
    }

    it('burst pods and cluster pods run on their nodes with IPs from their subnets', async () => {
      const wide = await cluster.kubectl.run(['get', 'pods', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName} {.status.podIP}{"\\n"}{end}']);
      const rows = Object.fromEntries(wide.stdout.trim().split('\n').map((l) => { const [n, node, ip] = l.split(' '); return [n, { node, ip }]; }));
      expect(rows['burst-web']).toMatchObject({ node: 'burstlet-cci', ip: expect.stringMatching(/^198\.18\.0\./) });
      expect(rows['cluster-web']).toMatchObject({ node: 'cluster-node-1', ip: expect.stringMatching(/^198\.18\.16\./) });
    });

    it('a cluster pod reaches nginx on CCI through its Service, by ClusterIP and by name', async () => {
      expect(await curl('cluster-client', `http://${await clusterIP('burst-web')}/`)).toBe('200');
      expect(await curl('cluster-client', 'http://burst-web.default.svc.cluster.local/')).toBe('200');
    });

    it('a burst pod reaches nginx in the cluster through its Service, by ClusterIP and by name', async () => {
      expect(await curl('burst-client', `http://${await clusterIP('cluster-web')}:8080/`)).toBe('200');
      expect(await curl('burst-client', 'http://cluster-web:8080/')).toBe('200');
    });

    it('a burst pod\'s resolv.conf names the cluster DNS after nameserver on its first line', async () => {
      const r = await cluster.kubectl.run(['exec', 'burst-web', '--', 'cat', '/etc/resolv.conf']);
      expect(r.stdout.split('\n')[0]).toBe('nameserver 198.19.0.10');
      expect(r.stdout).toContain('search default.svc.cluster.local svc.cluster.local cluster.local\n');
    });

    it('shows the sidecar\'s health as a pod condition and hides its container', async () => {
      // The pod is Ready once nginx is; the sidecar's readiness probe (every 2 s) may pass a moment later.
      const ready = await cluster.kubectl.run(['wait', '--for=condition=burstlet.io/NetworkReady', 'pod/burst-web', '--timeout=20s'], { timeoutMs: 30_000 });
      expect(ready.code, ready.stderr).toBe(0);
      const pod = JSON.parse((await cluster.kubectl.run(['get', 'pod', 'burst-web', '-o', 'json'])).stdout) as {
        status: { conditions: { type: string; status: string }[]; containerStatuses: { name: string }[] };
      };
      expect(pod.status.conditions, JSON.stringify(pod.status.conditions)).toContainEqual(expect.objectContaining({ type: 'burstlet.io/NetworkReady', status: 'True' }));
      expect(pod.status.containerStatuses.map((c) => c.name)).toEqual(['nginx']);
    });
  });
}

serviceExample('burstlet local --nodes: the seed\'s Service example', () => startLocalCluster({ args: ['--nodes'], readyTimeoutMs: 90_000 }));
if (kubernetesMissing === undefined) serviceExample(kubernetesTitle('the seed\'s Service example on the real control plane'), () => startKubernetesCluster());

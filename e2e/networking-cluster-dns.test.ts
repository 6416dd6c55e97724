// Cluster DNS as a burst pod sees it: the local cluster's DNS server behind the kube-dns
// ClusterIP, reached over UDP and TCP through a real sidecar in a pod network namespace, then
// the Service it names. Addresses: a random 198.18.x.0/24 for the namespaces.
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeIsolated } from './support/isolated.ts';
import { KubeClient, loadKubeConfig } from '../src/kube/client.ts';
import { KUBE_DNS_CLUSTER_IP, registerKubeDnsService } from '../src/local/dns/kube-dns-service.ts';
import { startClusterDns } from '../src/local/dns/server.ts';
import { createLogger } from '../src/log/logger.ts';
import { startNodeNetworking } from '../src/network/node-networking.ts';
import { startLocalCluster } from './support/local-cluster.ts';
import { askAgent, AGENT_PORT, createTestNetwork, sidecarHealth, waitForLine, type Netns, type TestNetwork } from './support/netns.ts';
import { pollUntil } from './support/poll.ts';
import { freePort } from '../src/local/free-port.ts';

const repo = path.resolve(import.meta.dirname, '..');
const main = path.join(repo, 'src/cli/main.ts');
const support = (f: string): string => path.join(repo, 'e2e/support', f);
const log = createLogger('silent', 'e2e');
const DIRECTORY_PORT = await freePort();

let net: TestNetwork;
let endpoints: Netns;
const children: ChildProcess[] = [];

beforeAll(async () => {
  net = createTestNetwork();
  endpoints = net.addNamespace([11]);
  const servers = endpoints.spawn([process.execPath, '--no-warnings', support('echo-servers.ts'), '8080', '5353', ...endpoints.ips]);
  children.push(servers);
  await waitForLine(servers, /^ready$/);
});

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  net?.destroy();
});

describeIsolated('the local environment through the sidecar', () => {
  it('cluster DNS over UDP and TCP to the kube-dns ClusterIP, then the Service it names', async () => {
    const cluster = await startLocalCluster();
    const cleanup: (() => unknown)[] = [() => cluster.stop()];
    try {
      // kube-dns: the cluster DNS server on the gateway (reachable from the pod), behind 198.19.0.10.
      const dns = await startClusterDns({ kubeconfigPath: cluster.kubeconfig, listen: { host: net.gateway, port: 0 }, domain: 'cluster.local', logger: log });
      cleanup.push(() => dns.stop());
      await registerKubeDnsService({ kubeconfigPath: cluster.kubeconfig, endpointIP: net.gateway, endpointPort: dns.port });
      const apply = async (doc: object): Promise<void> => {
        expect((await cluster.kubectl.run(['apply', '-f', '-'], { stdin: JSON.stringify(doc) })).stderr).toBe('');
      };
      await apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'echo', namespace: 'default' },
        spec: { clusterIP: '198.19.0.40', ports: [{ name: 'p', port: 80, protocol: 'TCP' }] } });
      await apply({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
        metadata: { name: 'echo-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'echo' } },
        endpoints: [{ addresses: [endpoints.ips[0]] }], ports: [{ name: 'p', port: 8080, protocol: 'TCP' }] });

      const client = await KubeClient.create(loadKubeConfig(cluster.kubeconfig));
      const networking = await startNodeNetworking({
        client, log, nodeName: 'e2e-dns', image: 'burstlet/network:0.1.0', proxyMode: 'nftables', isActivePod: (uid) => uid === 'pod-dns',
        directoryAddress: net.gateway, transport: { kind: 'plain', listenAddress: net.gateway, port: DIRECTORY_PORT },
      });
      cleanup.push(() => networking.stop());
      const container = networking.sidecarFor({ metadata: { uid: 'pod-dns' } })!;

      const dnsPod = net.addNamespace([4]);
      const agentProc = dnsPod.spawn([process.execPath, '--no-warnings', support('netns-client.ts'), dnsPod.ips[0]!, String(AGENT_PORT)]);
      children.push(agentProc);
      await waitForLine(agentProc, /^ready$/);
      const sidecar = dnsPod.spawn([process.execPath, '--no-warnings', main, ...container.command!.slice(1), ...container.args!],
        { env: { ...process.env, ...Object.fromEntries(container.env!.map((e) => [e.name, e.value])) } });
      children.push(sidecar);
      await pollUntil('the sidecar to be ready', () => sidecarHealth(dnsPod), (st) => st === 200, { timeoutMs: 20_000 });

      const ask = <T>(route: string, params: Record<string, string | number>): Promise<T> => askAgent<T>(dnsPod, route, params);
      type DnsResult = { rcode?: number; answers?: unknown[]; error?: string };
      for (const transport of ['udp', 'tcp']) {
        const res = await pollUntil(`a ${transport} DNS answer`, () => ask<DnsResult>('/dns', {
          host: KUBE_DNS_CLUSTER_IP, port: 53, name: 'echo.default.svc.cluster.local', transport,
        }), (r) => r.error === undefined);
        expect(res).toEqual({ rcode: 0, answers: [{ kind: 'A', address: '198.19.0.40' }] });
      }
      const nx = await ask<DnsResult>('/dns', { host: KUBE_DNS_CLUSTER_IP, port: 53, name: 'nope.default.svc.cluster.local', transport: 'udp' });
      expect(nx.rcode).toBe(3);
      const echoed = await ask<{ line: string }>('/tcp', { host: '198.19.0.40', port: 80 });
      expect(echoed.line).toBe(endpoints.ips[0]);
    } finally {
      for (const c of cleanup.reverse()) await c();
    }
  });
});

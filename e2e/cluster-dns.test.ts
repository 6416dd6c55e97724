// The cluster DNS server with the EndpointSlice controller against the local API server:
// objects made with kubectl 1.33, names resolved over UDP and TCP on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log/logger.ts';
import { query } from '../src/local/dns/client.ts';
import { registerKubeDnsService } from '../src/local/dns/kube-dns-service.ts';
import { startClusterDns, type ClusterDns } from '../src/local/dns/server.ts';
import { startEndpointSliceController } from '../src/local/endpointslices/controller.ts';
import { RCODE, TYPE, type Message } from '../src/local/dns/wire.ts';
import { startApiServerInProcess, type InProcessApiServer } from './support/api-server-in-process.ts';
import { waitFor } from './support/poll.ts';

const MANIFEST = `
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{name: pg, port: 5432}]
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec:
  type: ExternalName
  externalName: db.example.invalid
${[0, 1]
  .map(
    (i) => `---
apiVersion: v1
kind: Pod
metadata: {name: db-${i}, labels: {app: db}}
spec:
  hostname: db-${i}
  subdomain: db
  nodeName: n1
  containers: [{name: pg, image: postgres}]`,
  )
  .join('\n')}
`;

const logger = createLogger('warn', 'cluster-dns-e2e');
let api: InProcessApiServer;
let controller: { stop(): Promise<void> };
let dns: ClusterDns;
const server = () => ({ host: '127.0.0.1', port: dns.port });
const addresses = (m: Message) => m.answers.map((a) => (a.data.kind === 'A' ? a.data.address : a.data.kind)).sort();

beforeAll(async () => {
  api = await startApiServerInProcess();
  controller = await startEndpointSliceController(api.kubeconfig, logger);
  dns = await startClusterDns({ kubeconfigPath: api.kubeconfig, listen: { host: '127.0.0.1', port: 0 }, domain: 'cluster.local', logger });
  await api.kubectl.ok(['apply', '-f', '-'], { stdin: MANIFEST });
  for (const [i, ip] of ['198.18.16.20', '198.18.16.21'].entries()) {
    const status = { status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: 'True' }] } };
    await api.kubectl.ok(['patch', 'pod', `db-${i}`, '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
  }
});

afterAll(async () => {
  await dns?.stop();
  await controller?.stop();
  await api?.stop();
});

describe('cluster DNS', () => {
  it('resolves a ClusterIP service to the IP the API server allocated, over UDP and TCP', async () => {
    const clusterIP = await api.kubectl.ok(['get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}']);
    expect(clusterIP).toMatch(/^198\.19\./);
    for (const transport of ['udp', 'tcp'] as const) {
      const r = await waitFor('web A record', async () => {
        const reply = await query(server(), 'web.default.svc.cluster.local.', TYPE.A, { transport });
        return reply.answers.length > 0 ? reply : undefined;
      });
      expect([r.header.rcode, r.header.aa, r.answers[0]?.ttl, addresses(r)]).toEqual([RCODE.NOERROR, true, 30, [clusterIP]]);
    }
    const aaaa = await query(server(), 'web.default.svc.cluster.local.', TYPE.AAAA);
    expect([aaaa.header.rcode, aaaa.answers.length]).toEqual([RCODE.NOERROR, 0]);
  });

  it('resolves a headless service to its ready pods, and each pod by hostname', async () => {
    const r = await waitFor('both db pods', async () => {
      const reply = await query(server(), 'db.default.svc.cluster.local.', TYPE.A);
      return reply.answers.length === 2 ? reply : undefined;
    });
    expect(addresses(r)).toEqual(['198.18.16.20', '198.18.16.21']);
    expect(addresses(await query(server(), 'db-1.db.default.svc.cluster.local.', TYPE.A, { transport: 'tcp' }))).toEqual(['198.18.16.21']);
    const srv = await query(server(), '_pg._tcp.db.default.svc.cluster.local.', TYPE.SRV);
    expect(srv.answers.map((a) => (a.data.kind === 'SRV' ? `${a.data.target}:${a.data.port}` : '')).sort()).toEqual([
      'db-0.db.default.svc.cluster.local.:5432',
      'db-1.db.default.svc.cluster.local.:5432',
    ]);
  });

  it('follows readiness: a pod that turns unready leaves the headless answer', async () => {
    const unready = { status: { conditions: [{ type: 'Ready', status: 'False' }] } };
    await api.kubectl.ok(['patch', 'pod', 'db-0', '--subresource=status', '--type=strategic', '-p', JSON.stringify(unready)]);
    const r = await waitFor('db-0 gone from the answer', async () => {
      const reply = await query(server(), 'db.default.svc.cluster.local.', TYPE.A);
      return reply.answers.length === 1 ? reply : undefined;
    });
    expect(addresses(r)).toEqual(['198.18.16.21']);
  });

  it('answers ExternalName with a CNAME, unknown names with NXDOMAIN, and refuses other domains', async () => {
    const cname = await waitFor('ext CNAME', async () => {
      const reply = await query(server(), 'ext.default.svc.cluster.local.', TYPE.A);
      return reply.answers.length > 0 ? reply : undefined;
    });
    expect(cname.answers[0]?.data).toEqual({ kind: 'CNAME', target: 'db.example.invalid.' });
    const missing = await query(server(), 'nope.default.svc.cluster.local.', TYPE.A);
    expect([missing.header.rcode, missing.authorities[0]?.type, missing.authorities[0]?.ttl]).toEqual([RCODE.NXDOMAIN, TYPE.SOA, 5]);
    expect((await query(server(), 'example.org.', TYPE.A)).header.rcode).toBe(RCODE.REFUSED);
  });

  it('serves itself as kube-dns.kube-system on 198.19.0.10', async () => {
    await registerKubeDnsService({ kubeconfigPath: api.kubeconfig, endpointIP: '198.18.0.1', endpointPort: dns.port });
    const r = await waitFor('kube-dns A record', async () => {
      const reply = await query(server(), 'kube-dns.kube-system.svc.cluster.local.', TYPE.A);
      return reply.answers.length > 0 ? reply : undefined;
    });
    expect(addresses(r)).toEqual(['198.19.0.10']);
    const slice = JSON.parse(await api.kubectl.ok(['get', 'endpointslices', '-n', 'kube-system', '-l', 'kubernetes.io/service-name=kube-dns', '-o', 'json'])) as {
      items: Array<{ endpoints: Array<{ addresses: string[] }>; ports: Array<{ port: number }> }>;
    };
    expect(slice.items.map((s) => [s.endpoints[0]?.addresses[0], s.ports[0]?.port])).toEqual([['198.18.0.1', dns.port]]);
    // Registering again (a restart) is harmless.
    await registerKubeDnsService({ kubeconfigPath: api.kubeconfig, endpointIP: '198.18.0.1', endpointPort: dns.port });
  });
});

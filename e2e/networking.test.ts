// The networking sidecar as a real process in a pod's network namespace, following a real
// service directory over wss, forwarding to endpoints in another namespace. Addresses: a
// random 198.18.x.0/24 for the namespaces, ClusterIPs in 198.19.0.0/16 (local to the pod).
// The pod also runs an "app" bound to 0.0.0.0 on the Services' own ports (80/TCP, 53/UDP)
// before the sidecar starts: the sidecar must not take those ports (it DNATs instead).
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeIsolated } from './support/isolated.ts';
import { createLogger } from '../src/log/logger.ts';
import { newNodeSecret, podCredential, activePodCredentials } from '../src/network/service-directory/credentials.ts';
import type { DirService } from '../src/network/service-directory/protocol.ts';
import { startStandaloneDirectory, type StandaloneDirectory } from '../src/network/service-directory/server.ts';
import { DirectoryState } from '../src/network/service-directory/state.ts';
import https from 'node:https';
import { KubeClient, loadKubeConfig } from '../src/provider/kube/client.ts';
import { startNodeNetworking } from '../src/network/node-networking.ts';
import { loadOrCreateNodeSecret } from '../src/network/service-directory/node-directory.ts';
import { SIDECAR_CA_ENV, SIDECAR_CREDENTIAL_ENV } from '../src/network/sidecar-injection.ts';
import { selfSignedServingCert } from '../src/provider/kubelet/serving-cert.ts';
import { DirectoryClient } from '../src/sidecar/directory-client.ts';
import type { ForwardingEntry } from '../src/sidecar/rules.ts';
import { startClusterDns } from '../src/local/dns/server.ts';
import { KUBE_DNS_CLUSTER_IP, registerKubeDnsService } from '../src/local/dns/kube-dns-service.ts';
import { startLocalCluster } from './support/local-cluster.ts';
import { createTestNetwork, waitForLine, type Netns, type TestNetwork } from './support/netns.ts';

const repo = path.resolve(import.meta.dirname, '..');
const main = path.join(repo, 'src/cli/main.ts');
const support = (f: string): string => path.join(repo, 'e2e/support', f);
const log = createLogger('silent', 'e2e');
const ENDPOINT_HOSTS = [11, 12, 13];
const AGENT_PORT = 9000;
const HEALTH_PORT = 15020;
const DIRECTORY_PORT = 20_000 + Math.floor(Math.random() * 20_000);

let net: TestNetwork;
let tmp: string;
let tls: { key: string; cert: string };
let secret: Buffer;
let state: DirectoryState;
let directory: StandaloneDirectory;
let pod: Netns;
let endpoints: Netns;
const children: ChildProcess[] = [];
let mainSidecar: ChildProcess;
const active = new Set(['pod-a']);

const web = { ip: '198.19.0.20', port: 80 };
const sticky = { ip: '198.19.0.22', port: 80 };
const udpEcho = { ip: '198.19.0.21', port: 53 };

function service(name: string, ip: string, port: number, protocol: 'TCP' | 'UDP', affinitySeconds: number | null = null): DirService {
  return { namespace: 'default', name, clusterIPs: [ip], ports: [{ name: 'p', protocol, port }], affinitySeconds };
}

/** The Service's EndpointSlice now holds exactly these endpoint hosts (of the endpoints namespace). */
function setEndpoints(st: DirectoryState, name: string, protocol: 'TCP' | 'UDP', hosts: number[]): void {
  st.setSlice(`default/${name}-1`, {
    namespace: 'default', name: `${name}-1`, serviceName: name, addressType: 'IPv4',
    endpoints: hosts.map((h) => ({ address: `${net.prefix}.${h}`, ready: true, serving: true, terminating: false })),
    ports: [{ name: 'p', protocol, port: protocol === 'TCP' ? 8080 : 5353 }],
  });
}

function populate(st: DirectoryState, webHosts: number[]): void {
  st.setService('default/web', service('web', web.ip, web.port, 'TCP'));
  st.setService('default/sticky', service('sticky', sticky.ip, sticky.port, 'TCP', 60));
  st.setService('default/echo', service('echo', udpEcho.ip, udpEcho.port, 'UDP'));
  setEndpoints(st, 'web', 'TCP', webHosts);
  setEndpoints(st, 'sticky', 'TCP', ENDPOINT_HOSTS);
  setEndpoints(st, 'echo', 'UDP', ENDPOINT_HOSTS);
  st.markSynced();
}

async function startDirectory(st: DirectoryState): Promise<StandaloneDirectory> {
  return startStandaloneDirectory({
    state: st, log, tls, host: net.gateway, port: DIRECTORY_PORT,
    credentials: activePodCredentials(secret, (uid) => active.has(uid)),
  });
}

function startSidecar(ns: Netns, uid: string, credential: string): ChildProcess {
  const child = ns.spawn(
    [process.execPath, '--no-warnings', main, 'sidecar', `--directory-url=${directory.url}`, `--pod-uid=${uid}`,
      `--ca-file=${path.join(tmp, 'ca.pem')}`, `--health-port=${HEALTH_PORT}`, '--udp-idle-timeout=2s', '--termination-drain=1s'],
    { env: { ...process.env, BURSTLET_SIDECAR_CREDENTIAL: credential }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  child.stderr!.on('data', (d: Buffer) => sidecarLogs.push(`[${uid}] ${d.toString()}`));
  return child;
}
const sidecarLogs: string[] = [];

async function agent<T>(route: string, params: Record<string, string | number>): Promise<T> {
  const q = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
  const res = await fetch(`http://${pod.ips[0]}:${AGENT_PORT}${route}?${q}`);
  return (await res.json()) as T;
}
const tcp = (to: { ip: string; port: number }) => agent<{ line: string; ms: number }>('/tcp', { host: to.ip, port: to.port });

async function eventually<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function health(ip: string): Promise<number> {
  try {
    return (await fetch(`http://${ip}:${HEALTH_PORT}/healthz`)).status;
  } catch {
    return 0;
  }
}

/** The endpoint hosts new connections reach over `n` tries. */
async function reached(n: number): Promise<string[]> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) seen.add((await tcp(web)).line.split('.').at(-1)!);
  return [...seen].sort();
}

beforeAll(async () => {
  net = createTestNetwork();
  tmp = mkdtempSync(path.join(tmpdir(), 'bl-net-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=burstlet-directory', '-addext', `subjectAltName=IP:${net.gateway}`,
    '-keyout', path.join(tmp, 'key.pem'), '-out', path.join(tmp, 'ca.pem'),
  ], { stdio: 'ignore' });
  tls = { key: readFileSync(path.join(tmp, 'key.pem'), 'utf8'), cert: readFileSync(path.join(tmp, 'ca.pem'), 'utf8') };
  secret = newNodeSecret();
  state = new DirectoryState();
  populate(state, ENDPOINT_HOSTS);
  directory = await startDirectory(state);

  endpoints = net.addNamespace(ENDPOINT_HOSTS);
  const servers = endpoints.spawn([process.execPath, '--no-warnings', support('echo-servers.ts'), '8080', '5353', ...endpoints.ips]);
  children.push(servers);
  pod = net.addNamespace([2]);
  const client = pod.spawn([process.execPath, '--no-warnings', support('netns-client.ts'), pod.ips[0]!, String(AGENT_PORT)]);
  children.push(client);
  const app = pod.spawn([process.execPath, '--no-warnings', support('echo-servers.ts'), String(web.port), String(udpEcho.port), '0.0.0.0']);
  children.push(app);
  await Promise.all([waitForLine(servers, /^ready$/), waitForLine(client, /^ready$/), waitForLine(app, /^ready$/)]);
  mainSidecar = startSidecar(pod, 'pod-a', podCredential(secret, 'pod-a'));
  await eventually('the sidecar to be ready', () => health(pod.ips[0]!), (s) => s === 200, 20_000).catch((err: Error) => {
    throw new Error(`${err.message}\nsidecar logs:\n${sidecarLogs.join('').slice(-3000)}`);
  });
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await directory?.close();
  net?.destroy();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describeIsolated('burstlet sidecar in a pod network namespace', () => {
  it('TCP to a ClusterIP reaches every ready endpoint, round robin', async () => {
    expect(await reached(6)).toEqual(['11', '12', '13']);
  });

  it('UDP to a ClusterIP reaches the endpoints, each reply back to its client from ClusterIP:port', async () => {
    const { reply, from } = await agent<{ reply: string; from: string }>('/udp', { host: udpEcho.ip, port: udpEcho.port, payload: 'ping' });
    expect(reply).toMatch(new RegExp(`^${net.prefix.replaceAll('.', '\\.')}\\.1[123]:ping$`));
    expect(from).toBe(`${udpEcho.ip}:${udpEcho.port}`);
  });

  it("an app bound to 0.0.0.0 on the Services' ports keeps them, beside the Services on those ports", async () => {
    // Through the Services: the endpoints, not the app.
    expect((await tcp(web)).line).toMatch(new RegExp(`^${net.prefix.replaceAll('.', '\\.')}\\.1[123]$`));
    // The app's own ports, on the pod IP and on localhost: the app.
    expect((await tcp({ ip: pod.ips[0]!, port: web.port })).line).toBe('0.0.0.0');
    expect((await tcp({ ip: '127.0.0.1', port: web.port })).line).toBe('0.0.0.0');
    const own = await agent<{ reply: string; from: string }>('/udp', { host: '127.0.0.1', port: udpEcho.port, payload: 'hi' });
    expect(own).toEqual({ reply: '0.0.0.0:hi', from: `127.0.0.1:${udpEcho.port}` });
  });

  it('ClientIP session affinity pins the pod to one endpoint', async () => {
    const lines = new Set<string>();
    for (let i = 0; i < 6; i++) lines.add((await tcp(sticky)).line);
    expect(lines.size).toBe(1);
  });

  it('scale 3 → 1 → 0 → 2: a long transfer completes, new connections follow, refused at once with none', async () => {
    const bytes = 6 * 1024 * 1024;
    const { id } = await agent<{ id: string }>('/transfer/start', { host: web.ip, port: web.port, bytes });
    // A Service added and removed mid-transfer: the DNAT ruleset is replaced twice under the
    // established connection. (Same ClusterIP as web, so the address stays and a removed
    // port is refused inside the pod rather than routed out of it.)
    const extra = { ip: web.ip, port: 81 };
    state.setService('default/extra', service('extra', extra.ip, extra.port, 'TCP'));
    setEndpoints(state, 'extra', 'TCP', [13]);
    expect((await eventually('the added Service', () => tcp(extra), (r) => r.line === `${net.prefix}.13`)).line).toBe(`${net.prefix}.13`);
    state.setService('default/extra', null);
    expect((await eventually('the removed Service', () => tcp(extra), (r) => r.line === 'ECONNREFUSED')).line).toBe('ECONNREFUSED');
    setEndpoints(state, 'web', 'TCP', [12]);
    expect(await eventually('one endpoint', () => reached(4), (r) => r.join() === '12')).toEqual(['12']);
    setEndpoints(state, 'web', 'TCP', []);
    const refused = await eventually('refusal', () => tcp(web), (r) => r.line === 'ECONNRESET');
    expect(refused.ms).toBeLessThan(200);
    setEndpoints(state, 'web', 'TCP', [11, 13]);
    expect(await eventually('two endpoints', () => reached(6), (r) => r.join() === '11,13')).toEqual(['11', '13']);
    type Result = { sent: number; received: number; ended: boolean; error: string; firstLine: string };
    const result = await eventually('the transfer to finish', () => agent<Result>('/transfer/result', { id }), (t) => t.ended || t.error !== '', 30_000);
    expect(result).toMatchObject({ sent: bytes, received: bytes, ended: true, error: '' });
  });

  it('keeps serving while the directory is down, and resyncs after it restarts', async () => {
    await directory.close();
    expect((await tcp(web)).line).toMatch(/\.1[13]$/);
    state = new DirectoryState(); // a restarted burstlet: new epoch, revisions from 0
    populate(state, [12]);
    directory = await startDirectory(state);
    expect(await eventually('the new directory state', () => reached(4), (r) => r.join() === '12', 20_000)).toEqual(['12']);
  });

  it('a restarted sidecar serves the UDP flows conntrack already bound to the old one', async () => {
    const ask = () => agent<{ reply: string; from: string }>('/udp', { host: udpEcho.ip, port: udpEcho.port, payload: 'again', sourcePort: 40_053 });
    expect((await ask()).reply).toMatch(/:again$/);
    const exited = new Promise((r) => mainSidecar.once('exit', r));
    mainSidecar.kill('SIGKILL'); // A crash: rules and addresses stay, the next sidecar replaces them.
    await exited;
    mainSidecar = startSidecar(pod, 'pod-a', podCredential(secret, 'pod-a'));
    await eventually('the restarted sidecar to be ready', () => health(pod.ips[0]!), (s) => s === 200, 20_000);
    // Same client address:port, so the same conntrack entry (DNAT to the old listener's port).
    const again = await ask();
    expect(again.reply).toMatch(/:again$/);
    expect(again.from).toBe(`${udpEcho.ip}:${udpEcho.port}`);
  });

  it("refuses a sidecar presenting another pod's credential", async () => {
    const other = net.addNamespace([3]);
    active.add('pod-b');
    const intruder = startSidecar(other, 'pod-b', podCredential(secret, 'pod-a'));
    let stderr = '';
    intruder.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await eventually('the refusal to be logged', async () => stderr, (s) => /refused this pod's credential/.test(s));
    expect(await health(other.ips[0]!)).toBe(503);
    expect(directory.directory.connections).toBe(1);
  });

  it('on SIGTERM keeps proxying for the drain period, then exits and removes its ClusterIP addresses and DNAT rules', async () => {
    const exited = new Promise<number | null>((r) => mainSidecar.once('exit', (code) => r(code)));
    mainSidecar.kill('SIGTERM');
    expect((await tcp(web)).line).toBe(`${net.prefix}.12`);
    expect(await exited).toBe(0);
    const lo = execFileSync('ip', ['-n', pod.name, 'addr', 'show', 'dev', 'lo']).toString();
    expect(lo).not.toContain('198.19.');
    const tables = execFileSync('ip', ['netns', 'exec', pod.name, 'nft', 'list', 'tables']).toString();
    expect(tables).not.toContain('burstlet');
  });
});

describeIsolated('service directory on the local API server', () => {
  // Both transports of the injected sidecar's URL: burstlet's own plain listener (the default)
  // and the kubelet port's TLS (--service-directory-tls), with the CA the injection hands over.
  it.each(['plain', 'kubelet-tls'] as const)('streams Services and EndpointSlices from two watches, with credentials from a persistent node key (%s)', async (kind) => {
    const cluster = await startLocalCluster();
    const cleanup: (() => unknown)[] = [() => cluster.stop()];
    try {
      const client = await KubeClient.create(loadKubeConfig(cluster.kubeconfig));
      const port = 20_000 + Math.floor(Math.random() * 20_000);
      const kubeletTls = await selfSignedServingCert('e2e', ['127.0.0.1']);
      const networking = await startNodeNetworking({
        client, log, nodeName: 'e2e', image: 'burstlet/network:0.1.0', isActivePod: (uid) => uid === 'pod-x', directoryAddress: '127.0.0.1',
        transport: kind === 'plain'
          ? { kind, listenAddress: '127.0.0.1', port }
          : { kind, kubeletPort: port, caPem: kubeletTls.certPem },
      });
      cleanup.push(() => networking.stop());
      if (kind === 'kubelet-tls') {
        // Stands in for the kubelet server, which mounts the same hook (virtual-node.ts).
        const kubelet = https.createServer({ key: kubeletTls.keyPem, cert: kubeletTls.certPem });
        kubelet.on('upgrade', (req, socket, head) => {
          if (!networking.kubeletUpgrade!(req, socket, head)) socket.destroy();
        });
        await new Promise<void>((r) => kubelet.listen(port, '127.0.0.1', r));
        cleanup.push(() => kubelet.close());
      }
      expect(networking.directoryUrl).toBe(`${kind === 'plain' ? 'ws' : 'wss'}://127.0.0.1:${port}/burstlet/v1/service-directory`);
      // The key is kept in a Secret: a restarted burstlet signs the same credentials.
      const key = await loadOrCreateNodeSecret(client, 'kube-system', 'burstlet-sidecar-key-e2e');
      expect((await loadOrCreateNodeSecret(client, 'kube-system', 'burstlet-sidecar-key-e2e')).equals(key)).toBe(true);
      // The injected container carries everything the sidecar needs to follow the directory.
      const container = networking.sidecarFor({ metadata: { uid: 'pod-x' } })!;
      const url = container.args!.find((a) => a.startsWith('--directory-url='))!.slice('--directory-url='.length);
      const env = (name: string): string | undefined => container.env!.find((e) => e.name === name)?.value;
      const credential = env(SIDECAR_CREDENTIAL_ENV)!;
      const ca = env(SIDECAR_CA_ENV);
      expect(ca === undefined).toBe(kind === 'plain');
      let table = new Map<string, ForwardingEntry>();
      const sidecar = new DirectoryClient({ url, podUid: 'pod-x', credential, log, onTable: (t) => (table = t), ...(ca ? { ca } : {}) });
      sidecar.start();
      cleanup.push(() => sidecar.stop());
      const apply = async (doc: object): Promise<void> => {
        const r = await cluster.kubectl(['apply', '-f', '-'], { stdin: JSON.stringify(doc) });
        expect(r.stderr).toBe('');
      };
      await apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'manual', namespace: 'default' },
        spec: { clusterIP: '198.19.0.77', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
      const slice = (addresses: string[]) => ({
        apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
        metadata: { name: 'manual-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'manual' } },
        endpoints: addresses.map((a) => ({ addresses: [a] })), ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      });
      await apply(slice(['198.18.200.5', '198.18.200.6']));
      const backends = () => (table.get('TCP/198.19.0.77:80')?.backends ?? []).map((b) => b.address).join();
      await eventually('the Service in the sidecar table', async () => backends(), (b) => b === '198.18.200.5,198.18.200.6');
      await apply(slice(['198.18.200.7']));
      await eventually('the slice change', async () => backends(), (b) => b === '198.18.200.7');
      await cluster.kubectl(['delete', 'service', 'manual']);
      await eventually('the Service to go', async () => table.has('TCP/198.19.0.77:80'), (has) => !has);
      expect(sidecar.connected).toBe(true);
    } finally {
      for (const c of cleanup.reverse()) await c();
    }
  });
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
        expect((await cluster.kubectl(['apply', '-f', '-'], { stdin: JSON.stringify(doc) })).stderr).toBe('');
      };
      await apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'echo', namespace: 'default' },
        spec: { clusterIP: '198.19.0.40', ports: [{ name: 'p', port: 80, protocol: 'TCP' }] } });
      await apply({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
        metadata: { name: 'echo-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'echo' } },
        endpoints: [{ addresses: [endpoints.ips[0]] }], ports: [{ name: 'p', port: 8080, protocol: 'TCP' }] });

      const client = await KubeClient.create(loadKubeConfig(cluster.kubeconfig));
      const networking = await startNodeNetworking({
        client, log, nodeName: 'e2e-dns', image: 'burstlet/network:0.1.0', isActivePod: (uid) => uid === 'pod-dns',
        directoryAddress: net.gateway, transport: { kind: 'plain', listenAddress: net.gateway, port: DIRECTORY_PORT + 1 },
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
      await eventually('the sidecar to be ready', () => health(dnsPod.ips[0]!), (st) => st === 200, 20_000);

      const ask = <T>(route: string, params: Record<string, string | number>): Promise<T> =>
        fetch(`http://${dnsPod.ips[0]}:${AGENT_PORT}${route}?${new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]))}`)
          .then((r) => r.json() as Promise<T>);
      type DnsResult = { rcode?: number; answers?: unknown[]; error?: string };
      for (const transport of ['udp', 'tcp']) {
        const res = await eventually(`a ${transport} DNS answer`, () => ask<DnsResult>('/dns', {
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

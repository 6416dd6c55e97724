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
import { AGENT_PORT, askAgent, createTestNetwork, sidecarHealth, SIDECAR_HEALTH_PORT, waitForLine, type Netns, type TestNetwork } from './support/netns.ts';
import { pollUntil } from './support/poll.ts';
import { freePort } from '../src/local/free-port.ts';
import { PROXY_MODES, type ProxyMode } from '../src/network/sidecar-injection.ts';

const repo = path.resolve(import.meta.dirname, '..');
const main = path.join(repo, 'src/cli/main.ts');
const support = (f: string): string => path.join(repo, 'e2e/support', f);
const log = createLogger('silent', 'e2e');
const ENDPOINT_HOSTS = [11, 12, 13];
const DIRECTORY_PORT = await freePort();

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

let mode: ProxyMode;

function startSidecar(ns: Netns, uid: string, credential: string): ChildProcess {
  const child = ns.spawn(
    [process.execPath, '--no-warnings', main, 'sidecar', `--proxy-mode=${mode}`, `--directory-url=${directory.url}`, `--pod-uid=${uid}`,
      `--ca-file=${path.join(tmp, 'ca.pem')}`, `--health-port=${SIDECAR_HEALTH_PORT}`, '--udp-idle-timeout=2s', '--termination-drain=1s'],
    { env: { ...process.env, BURSTLET_SIDECAR_CREDENTIAL: credential }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  child.stderr!.on('data', (d: Buffer) => sidecarLogs.push(`[${uid}] ${d.toString()}`));
  return child;
}
const sidecarLogs: string[] = [];

const agent = <T>(route: string, params: Record<string, string | number>): Promise<T> => askAgent<T>(pod, route, params);
const tcp = (to: { ip: string; port: number }) => agent<{ line: string; ms: number }>('/tcp', { host: to.ip, port: to.port });


/** The endpoint hosts new connections reach over `n` tries. */
async function reached(n: number): Promise<string[]> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) seen.add((await tcp(web)).line.split('.').at(-1)!);
  return [...seen].sort();
}

for (const proxyMode of PROXY_MODES) describeIsolated(`burstlet sidecar (--proxy-mode=${proxyMode}) in a pod network namespace`, () => {
  beforeAll(async () => {
    mode = proxyMode;
    active.clear();
    active.add('pod-a');
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
    await pollUntil('the sidecar to be ready', () => sidecarHealth(pod), (s) => s === 200, { timeoutMs: 20_000, context: () => `sidecar logs:\n${sidecarLogs.join('').slice(-3000)}` });
  });

  afterAll(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    await directory?.close();
    net?.destroy();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('TCP to a ClusterIP spreads connections over every ready endpoint', async () => {
    // Round robin in userspace, a random pick in the kernel: 40 tries miss one of 3 with p < 1e-6.
    expect(await reached(40)).toEqual(['11', '12', '13']);
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
    expect((await pollUntil('the added Service', () => tcp(extra), (r) => r.line === `${net.prefix}.13`)).line).toBe(`${net.prefix}.13`);
    state.setService('default/extra', null);
    expect((await pollUntil('the removed Service', () => tcp(extra), (r) => r.line === 'ECONNREFUSED')).line).toBe('ECONNREFUSED');
    setEndpoints(state, 'web', 'TCP', [12]);
    expect(await pollUntil('one endpoint', () => reached(4), (r) => r.join() === '12')).toEqual(['12']);
    setEndpoints(state, 'web', 'TCP', []);
    // userspace accepts and resets; nftables rejects the SYN: either way at once.
    const refusal = mode === 'userspace' ? 'ECONNRESET' : 'ECONNREFUSED';
    const refused = await pollUntil('refusal', () => tcp(web), (r) => r.line === refusal);
    expect(refused.ms).toBeLessThan(200);
    setEndpoints(state, 'web', 'TCP', [11, 13]);
    expect(await pollUntil('two endpoints', () => reached(6), (r) => r.join() === '11,13')).toEqual(['11', '13']);
    type Result = { sent: number; received: number; ended: boolean; error: string; firstLine: string };
    const result = await pollUntil('the transfer to finish', () => agent<Result>('/transfer/result', { id }), (t) => t.ended || t.error !== '', { timeoutMs: 30_000 });
    expect(result).toMatchObject({ sent: bytes, received: bytes, ended: true, error: '' });
  });

  it('a UDP flow whose endpoint left the Service moves to one that stays, same client socket', async () => {
    const ask = () => agent<{ reply: string; from: string }>('/udp', { host: udpEcho.ip, port: udpEcho.port, payload: 'flow', sourcePort: 40_054 });
    const first = (await ask()).reply.split(':')[0]!;
    const left = Number(first.split('.').at(-1));
    setEndpoints(state, 'echo', 'UDP', ENDPOINT_HOSTS.filter((h) => h !== left));
    const moved = await pollUntil('the flow to move', ask, (r) => r.reply !== 'timeout' && !r.reply.startsWith(`${first}:`), { timeoutMs: 10_000 });
    expect(moved.reply).toMatch(/:flow$/);
    expect(moved.from).toBe(`${udpEcho.ip}:${udpEcho.port}`);
    setEndpoints(state, 'echo', 'UDP', ENDPOINT_HOSTS);
  });

  it('keeps serving while the directory is down, and resyncs after it restarts', async () => {
    await directory.close();
    expect((await tcp(web)).line).toMatch(/\.1[13]$/);
    state = new DirectoryState(); // a restarted burstlet: new epoch, revisions from 0
    populate(state, [12]);
    directory = await startDirectory(state);
    expect(await pollUntil('the new directory state', () => reached(4), (r) => r.join() === '12', { timeoutMs: 20_000 })).toEqual(['12']);
  });

  it('a restarted sidecar serves the UDP flows conntrack already bound to the old one', async () => {
    const ask = () => agent<{ reply: string; from: string }>('/udp', { host: udpEcho.ip, port: udpEcho.port, payload: 'again', sourcePort: 40_053 });
    expect((await ask()).reply).toMatch(/:again$/);
    const exited = new Promise((r) => mainSidecar.once('exit', r));
    mainSidecar.kill('SIGKILL'); // A crash: rules and addresses stay, the next sidecar replaces them.
    await exited;
    mainSidecar = startSidecar(pod, 'pod-a', podCredential(secret, 'pod-a'));
    await pollUntil('the restarted sidecar to be ready', () => sidecarHealth(pod), (s) => s === 200, { timeoutMs: 20_000 });
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
    await pollUntil('the refusal to be logged', async () => stderr, (s) => /refused this pod's credential/.test(s));
    expect(await sidecarHealth(other)).toBe(503);
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

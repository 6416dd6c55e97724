// The local API server's pod proxy (log, exec, port-forward) against a test kubelet, driven by
// the real kubectl: 1.33 over WebSocket (translated/tunnelled to SPDY), 1.33 forced to SPDY,
// and 1.27 (SPDY only).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../src/local/apiserver/index.ts';
import { podProxyExtension } from '../src/local/proxy/index.ts';
import { kubectlFor, kubectlPath, type Kubectl, type KubectlResult, type KubectlVersion } from './support/kubectl.ts';
import { startTestKubelet, type TestKubelet } from './support/test-kubelet.ts';


let stateDir: string;
let server: ApiServer;
let kubelet: TestKubelet;
let echo: net.Server;
let echoPort: number;
let logFile: string;
let k: Kubectl;
const LOG_LINES = 'first line\nsecond line\n';

function runUnderPty(command: string, env: Record<string, string>): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, KUBECONFIG: server.kubeconfigPath, ...env } });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const bytes = Buffer.concat(out);
      resolve({ code: code ?? -1, stdout: bytes.toString(), bytes, stderr: err });
    });
    child.stdin.end();
  });
}

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'bl-proxy-'));
  server = await startApiServer({ stateDir, port: 0, extensions: [podProxyExtension({ allowUnverifiedKubelets: false })] });
  k = kubectlFor(server.kubeconfigPath);
  const serving = await server.pki.issue({ commonName: 'test-kubelet', usage: 'server', ipAddresses: ['127.0.0.1'] });
  logFile = join(stateDir, 'app.log');
  writeFileSync(logFile, LOG_LINES);
  kubelet = await startTestKubelet({ cert: serving.certPem, key: serving.keyPem, clientCa: server.pki.caPem, logs: { 'default/p/app': logFile } });
  echo = net.createServer((s) => {
    s.write('echo:');
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoPort = (echo.address() as AddressInfo).port;

  await k.ok(['create', '-f', '-'], { stdin: JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'kl' } }) });
  const nodeStatus = { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } } } };
  await k.ok(['patch', 'node', 'kl', '--subresource=status', '--type=merge', '-p', JSON.stringify(nodeStatus)]);
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { nodeName: 'kl', containers: [{ name: 'app', image: 'nginx' }] } };
  await k.ok(['create', '-f', '-'], { stdin: JSON.stringify(pod) });
  await k.ok(['patch', 'pod', 'p', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { phase: 'Running' } })]);
});

afterAll(async () => {
  await kubelet?.close();
  await new Promise<void>((r) => (echo ? echo.close(() => r()) : r()));
  await server?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

const variants: { name: string; version: KubectlVersion; env: Record<string, string> }[] = [
  { name: 'kubectl 1.33 WebSocket', version: '1.33', env: {} },
  { name: 'kubectl 1.33 SPDY', version: '1.33', env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false', KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' } },
  { name: 'kubectl 1.27', version: '1.27', env: {} },
];

async function connectThrough(port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.end(payload));
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('end', () => resolve(got));
    s.on('error', reject);
  });
}

describe.each(variants)('$name', ({ version, env }) => {
  it('exec -- echo hi', async () => {
    const r = await k.run(['exec', 'p', '--', 'echo', 'hi'], { env, version });
    expect(r.stderr).toBe('');
    expect(r.stdout.toString()).toBe('hi\n');
    expect(r.code).toBe(0);
  });

  it('exec -i returns 10 MiB of stdin intact', async () => {
    const payload = randomBytes(10 << 20);
    const r = await k.run(['exec', '-i', 'p', '--', 'cat'], { env, version, stdin: payload });
    const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
    expect(r.code, r.stderr).toBe(0);
    expect(r.bytes.length).toBe(payload.length);
    expect(sha(r.bytes)).toBe(sha(payload));
  });

  it('exec propagates exit code 3', async () => {
    const r = await k.run(['exec', 'p', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3'], { env, version });
    expect(r.code).toBe(3);
    expect(r.stdout.toString()).toBe('out\n');
    expect(r.stderr).toContain('err\n');
  });

  it('exec -it under a pseudo-terminal: the terminal size reaches the container', async () => {
    // script(1) gives kubectl a terminal of 91x27; kubectl sends that size on the resize stream.
    const inner = `stty cols 91 rows 27; ${kubectlPath(version)} exec -it p -- stty size`;
    const r = await runUnderPty(inner, env);
    expect(r.stdout.toString()).toContain('27 91');
    expect(r.code, r.stderr).toBe(0);
  });

  it('logs', async () => {
    const r = await k.run(['logs', 'p'], { env, version });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.toString()).toBe(LOG_LINES);
  });

  it('port-forward carries two connections at once', async () => {
    const forward = await k.portForward('pod/p', echoPort, { env, version, args: ['-v=4'] });
    try {
      const [a, b] = await Promise.all([connectThrough(forward.port, 'one'), connectThrough(forward.port, 'two')]);
      expect([a, b]).toEqual(['echo:one', 'echo:two']);
      // The WebSocket tunnel must have been accepted, not silently replaced by kubectl's SPDY fallback.
      expect(forward.stderr()).not.toMatch(/fallback/i);
    } finally {
      forward.close();
    }
  });
});

describe('kubectl logs through the proxy', () => {
  it('passes --tail, --since, --timestamps, --previous to the kubelet', async () => {
    const r = await k.run(['logs', 'p', '--tail=1', '--since=1h', '--timestamps', '--previous']);
    expect(r.code, r.stderr).toBe(0);
    const q = kubelet.logQueries.at(-1)!;
    expect(Object.fromEntries(q)).toEqual({ tailLines: '1', sinceSeconds: '3600', timestamps: 'true', previous: 'true' });
  });

  it('logs -f streams lines appended after it started', async () => {
    const child = k.spawn(['logs', '-f', 'p']);
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await expect.poll(() => out, { timeout: 10_000 }).toBe(LOG_LINES);
      appendFileSync(logFile, 'third line\n');
      await expect.poll(() => out, { timeout: 10_000 }).toBe(LOG_LINES + 'third line\n');
    } finally {
      child.kill('SIGTERM');
    }
  });
});

describe('kubectl cp (tar over exec) both ways', () => {
  it.each(variants)('$name', async ({ version, env }) => {
    // The test kubelet's "container" is this host, so the pod path is a fresh host directory.
    const podDir = mkdtempSync(join(tmpdir(), 'bl-cp-pod-'));
    const localDir = mkdtempSync(join(tmpdir(), 'bl-cp-local-'));
    try {
      const content = randomBytes(300_000);
      writeFileSync(join(localDir, 'up.bin'), content);
      const up = await k.run(['cp', join(localDir, 'up.bin'), `p:${podDir}/up.bin`], { env, version });
      expect(up.code, up.stderr).toBe(0);
      expect(readFileSync(join(podDir, 'up.bin')).equals(content)).toBe(true);
      const down = await k.run(['cp', `p:${podDir}/up.bin`, join(localDir, 'down.bin')], { env, version });
      expect(down.code, down.stderr).toBe(0);
      expect(readFileSync(join(localDir, 'down.bin')).equals(content)).toBe(true);
    } finally {
      rmSync(podDir, { recursive: true, force: true });
      rmSync(localDir, { recursive: true, force: true });
    }
  });
});

describe('kubectl 1.33 stays on WebSocket', () => {
  it('exec is translated, not refused into the SPDY fallback', async () => {
    const r = await k.run(['exec', '-v=4', 'p', '--', 'echo', 'ws']);
    expect(r.stdout.toString()).toBe('ws\n');
    expect(r.stderr).not.toMatch(/fallback/i);
  });
});

describe('proxy errors', () => {
  it('404 for an unknown pod', async () => {
    const r = await k.run(['exec', 'nope', '--', 'true']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('pods "nope" not found');
  });

  it('presents the API server\'s kubelet client certificate to the kubelet', async () => {
    const before = kubelet.clients.length;
    expect((await k.run(['exec', 'p', '--', 'true'])).code).toBe(0);
    expect(kubelet.clients.length).toBeGreaterThan(before);
    expect(new Set(kubelet.clients.slice(before))).toEqual(new Set(['kube-apiserver-kubelet-client']));
  });
});

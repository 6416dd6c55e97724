// The kubelet API of `burstlet node` end to end: real kubectl (1.33 over WebSocket, 1.33 over
// SPDY, 1.27) → the local API server's pod proxy (with its kubelet client certificate) →
// burstlet's kubelet HTTPS API → the mock CCI's exec/log/port-forward of the pod.
// The API server runs in this process (same server and pod proxy as `burstlet local`) so
// that the test can give it a deny rule: the kubelet's SubjectAccessReview must answer 403.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedRuntime } from './support/isolated.ts';
import { startApiServer, type ApiServer } from '../src/local/apiserver/index.ts';
import { podProxyExtension } from '../src/local/proxy/index.ts';
import { randomSubnet, startBurstNode, startMockCci, type BurstNode, type MockCci } from './support/burst-node.ts';
import { kubectlFor, kubectlPath, readOutput, type Kubectl, type KubectlVersion } from './support/kubectl.ts';
import { burstPod } from './support/pods.ts';
import { pollUntil, waitFor } from './support/poll.ts';

const NODE = 'burst-streams';
const DENIED_SA = 'kubelet-denied';
const isolated = isolatedRuntime.ok;
const tmp = mkdtempSync(join(tmpdir(), 'bl-streams-'));
const kubeletPort = 20_000 + Math.floor(Math.random() * 30_000);

let server: ApiServer;
let cci: MockCci;
let node: BurstNode;
let k: Kubectl;

function waitRunning(name: string): Promise<string> {
  return pollUntil(`${name} Running`, () => k.ok(['get', 'pod', name, '-o', 'jsonpath={.status.phase}']), (phase) => phase === 'Running', { timeoutMs: 60_000 });
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function curl(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-sk', '--max-time', '20', ...args], (err, stdout) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }));
  });
}

/** A token of the ServiceAccount (created when missing), from the TokenRequest API (as JSON: the local API server speaks no protobuf). */
async function serviceAccountToken(name: string): Promise<string> {
  await k.run(['create', '-f', '-'], { stdin: JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: 'default' } }) });
  const request = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } });
  const r = JSON.parse(await k.ok(['create', '--raw', `/api/v1/namespaces/default/serviceaccounts/${name}/token`, '-f', '-'], { stdin: request })) as { status: { token: string } };
  return r.status.token;
}

beforeAll(async () => {
  server = await startApiServer({
    stateDir: join(tmp, 'api'),
    port: 0,
    extensions: [podProxyExtension({ allowUnverifiedKubelets: true })],
    denyRules: [{ user: `system:serviceaccount:default:${DENIED_SA}` }],
  });
  k = kubectlFor(server.kubeconfigPath);
  cci = await startMockCci({ subnet: randomSubnet(), args: isolated ? ['--runtime=isolated', `--state-dir=${join(tmp, 'cci')}`] : [] });
  node = await startBurstNode({
    kubeconfig: server.kubeconfigPath,
    cci,
    name: NODE,
    args: ['--address=127.0.0.1', `--port=${kubeletPort}`, `--client-ca-file=${join(tmp, 'api', 'ca.pem')}`, '--authentication-token-webhook'],
  });
  await k.create(
    burstPod('shell', NODE, [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'echo started; i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.5; done'] }]),
    burstPod('web', NODE, [{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80 }] }]),
    // Restarts (restartPolicy Always): each run prints its own start time, for --previous.
    burstPod('restarter', NODE, [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'echo run $(date +%s%N); sleep 1; exit 1'] }]),
  );
  await Promise.all([waitRunning('shell'), waitRunning('web')]);
}, 120_000);

afterAll(async () => {
  await node?.stop();
  await cci?.stop();
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const variants: { name: string; version: KubectlVersion; env: Record<string, string> }[] = [
  { name: 'kubectl 1.33 WebSocket', version: '1.33', env: {} },
  { name: 'kubectl 1.33 SPDY', version: '1.33', env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false', KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' } },
  { name: 'kubectl 1.27', version: '1.27', env: {} },
];

describe.each(variants)('$name into a burst pod', ({ version, env }) => {
  it('exec -- echo hi', async () => {
    const r = await k.run(['exec', 'shell', '--', 'echo', 'hi'], { env, version });
    expect(r.stderr).toBe('');
    expect(r.stdout.toString()).toBe('hi\n');
    expect(r.code).toBe(0);
  });

  it('exec -i returns 10 MiB of stdin intact', async () => {
    const payload = randomBytes(10 << 20);
    const r = await k.run(['exec', '-i', 'shell', '--', 'cat'], { env, version, stdin: payload });
    expect(r.code, r.stderr).toBe(0);
    expect(r.bytes.length).toBe(payload.length);
    expect(sha(r.bytes)).toBe(sha(payload));
  });

  it("exec -- sh -c 'exit 3' makes kubectl exit 3, stdout and stderr apart", async () => {
    const r = await k.run(['exec', 'shell', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3'], { env, version });
    expect(r.code).toBe(3);
    expect(r.stdout.toString()).toBe('out\n');
    expect(r.stderr).toContain('err\n');
  });

  it('port-forward to the nginx pod carries two curls at once', async () => {
    const forward = await k.portForward('pod/web', 80, { env, version });
    const localPort = forward.port;
    try {
      const [a, b] = await Promise.all([curl([`http://127.0.0.1:${localPort}/`]), curl([`http://127.0.0.1:${localPort}/`])]);
      expect(a.code).toBe(0);
      expect(b.code).toBe(0);
      expect(a.stdout).toMatch(/nginx/i);
      expect(b.stdout).toBe(a.stdout);
    } finally {
      forward.close();
    }
  });

  it('logs', async () => {
    const r = await k.run(['logs', 'shell'], { env, version });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.toString()).toMatch(/^started\ntick 1\n/);
  });
});

describe('errors and cleanup (1.33)', () => {
  it('an unknown container is a NotFound error naming it', async () => {
    const r = await k.run(['exec', 'shell', '-c', 'nope', '--', 'true']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('container nope is not valid for pod shell');
  });

  it('an exec whose client vanishes ends the process in the pod', async () => {
    const marker = String(100_000 + Math.floor(Math.random() * 800_000));
    const running = (): Promise<boolean> => new Promise((resolve) => execFile('pgrep', ['-f', `^sleep ${marker}$`], (err) => resolve(!err)));
    const child = k.spawn(['exec', 'shell', '--', 'sleep', marker]);
    await waitFor('the exec\'d sleep running', async () => ((await running()) ? true : undefined), { timeoutMs: 15_000 });
    child.kill('SIGKILL');
    await waitFor('the exec\'d sleep gone after the client vanished', async () => ((await running()) ? undefined : true), { timeoutMs: 15_000 });
  });
});

describe('kubectl logs options (1.33)', () => {
  it('--tail=2 gives the last two lines', async () => {
    const r = await k.run(['logs', 'shell', '--tail=2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.toString()).toMatch(/^tick \d+\ntick \d+\n$/);
  });

  it('--timestamps prefixes RFC 3339 times', async () => {
    const r = await k.run(['logs', 'shell', '--tail=1', '--timestamps']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.toString()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z tick \d+\n$/);
  });

  it('--since=1h includes the first line; --since=1s only recent ones', async () => {
    const all = (await k.run(['logs', 'shell', '--since=1h'])).stdout.toString();
    expect(all).toMatch(/^started\n/);
    const recent = (await k.run(['logs', 'shell', '--since=1s'])).stdout.toString();
    expect(recent).not.toContain('started');
    expect(recent.split('\n').filter(Boolean).length).toBeLessThan(all.split('\n').filter(Boolean).length);
  });

  it('logs -f follows new lines until the client leaves', async () => {
    const child = k.spawn(['logs', '-f', 'shell', '--tail=1']);
    try {
      const ticks = await readOutput(child, (out) => {
        const seen = [...out.matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));
        return seen.length >= 4 ? seen : undefined;
      });
      expect(ticks.slice(0, 4)).toEqual([ticks[0]!, ticks[0]! + 1, ticks[0]! + 2, ticks[0]! + 3]);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('--previous shows the run before the restart', async () => {
    await waitFor('a restart', async () => (Number(await k.ok(['get', 'pod', 'restarter', '-o', 'jsonpath={.status.containerStatuses[0].restartCount}'])) >= 1 ? true : undefined), { timeoutMs: 60_000 });
    const previous = await k.run(['logs', 'restarter', '--previous']);
    expect(previous.code, previous.stderr).toBe(0);
    expect(previous.stdout.toString()).toMatch(/^run \d+\n$/);
  });

  it('attach streams the running container\'s output', async () => {
    const child = k.spawn(['attach', 'shell']);
    try {
      const ticks = await readOutput(child, (out) => {
        const seen = [...out.matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));
        return seen.length >= 2 ? seen : undefined;
      });
      expect(ticks[1]).toBe(ticks[0]! + 1);
    } finally {
      child.kill('SIGTERM');
    }
  });
});

describe('kubectl cp and a terminal (1.33)', () => {
  it('cp both ways', async () => {
    const local = join(tmp, 'up.bin');
    const payload = randomBytes(300_000);
    writeFileSync(local, payload);
    const up = await k.run(['cp', local, 'shell:/tmp/up.bin']);
    expect(up.code, up.stderr).toBe(0);
    const inPod = await k.run(['exec', 'shell', '--', 'sha256sum', '/tmp/up.bin']);
    expect(inPod.stdout.toString().split(' ')[0]).toBe(sha(payload));
    const back = join(tmp, 'down.bin');
    const down = await k.run(['cp', 'shell:/tmp/up.bin', back]);
    expect(down.code, down.stderr).toBe(0);
    expect(sha(readFileSync(back))).toBe(sha(payload));
  });

  it('exec -it in a tmux pane: the pane size from the first instruction on, then a resize, seen by stty size', async () => {
    const socket = `bl-${randomBytes(4).toString('hex')}`;
    const tmux = (...args: string[]): Promise<string> =>
      new Promise((resolve, reject) => execFile('tmux', ['-L', socket, ...args], { env: { ...process.env, KUBECONFIG: server.kubeconfigPath } }, (err, out) => (err ? reject(err) : resolve(out))));
    // kubectl's initial size is a resize message sent once the streams are up; the command
    // starts at that size, so even its first instruction sees it (it used to see 0 0).
    const remote = 'stty size; echo resize-now; sleep 1.5; stty size; sleep 30';
    await tmux('new-session', '-d', '-x', '90', '-y', '25', `${kubectlPath('1.33')} exec -it shell -- sh -c '${remote}'`);
    try {
      const pane = (): Promise<string> => tmux('capture-pane', '-p');
      await waitFor('the first stty size', async () => ((await pane()).includes('resize-now') ? true : undefined), { timeoutMs: 15_000 });
      await tmux('resize-window', '-x', '101', '-y', '33');
      const text = await waitFor('stty size after the resize', async () => {
        const t = await pane();
        return /resize-now\s+33 101/.test(t) ? t : undefined;
      }, { timeoutMs: 15_000 });
      expect(text).toMatch(/25 90\s+resize-now/);
    } finally {
      await tmux('kill-server').catch(() => undefined);
    }
  });
});

describe('the kubelet port directly', () => {
  const url = `https://127.0.0.1:${kubeletPort}`;

  it('401 without credentials', async () => {
    const r = await curl(['-o', '/dev/null', '-w', '%{http_code}', `${url}/pods`]);
    expect(r.stdout).toBe('401');
  });

  it('200 with a service account token that SubjectAccessReview allows; 403 with one it denies', async () => {
    const allowed = await serviceAccountToken('kubelet-allowed');
    const denied = await serviceAccountToken(DENIED_SA);
    const pods = await curl(['-H', `Authorization: Bearer ${allowed}`, `${url}/pods`]);
    expect((JSON.parse(pods.stdout) as { items: { metadata: { name: string } }[] }).items.map((p) => p.metadata.name).sort()).toEqual(['restarter', 'shell', 'web']);
    const r = await curl(['-w', '\n%{http_code}', '-H', `Authorization: Bearer ${denied}`, `${url}/pods`]);
    const [body, code] = [r.stdout.slice(0, r.stdout.lastIndexOf('\n')), r.stdout.slice(r.stdout.lastIndexOf('\n') + 1)];
    expect(code).toBe('403');
    expect(body).toContain(`system:serviceaccount:default:${DENIED_SA}`);
  });

  it('/stats/summary has real figures for the running pods', async () => {
    const token = await serviceAccountToken('kubelet-allowed');
    const r = await curl(['-H', `Authorization: Bearer ${token}`, `${url}/stats/summary`]);
    const summary = JSON.parse(r.stdout) as { pods: { podRef: { name: string }; memory?: { workingSetBytes?: number } }[] };
    const shell = summary.pods.find((p) => p.podRef.name === 'shell');
    expect(shell?.memory?.workingSetBytes).toBeGreaterThan(0);
  });

  it('/metrics/resource has metrics-server\'s names and labels with real figures', async () => {
    const token = await serviceAccountToken('kubelet-allowed');
    const r = await curl(['-H', `Authorization: Bearer ${token}`, `${url}/metrics/resource`]);
    const sample = (name: string, labels: string): number => Number(new RegExp(`^${name}\\{${labels}\\} (\\S+) \\d+$`, 'm').exec(r.stdout)?.[1]);
    expect(sample('container_cpu_usage_seconds_total', 'container="nginx",namespace="default",pod="web"')).toBeGreaterThan(0);
    expect(sample('container_memory_working_set_bytes', 'container="app",namespace="default",pod="shell"')).toBeGreaterThan(0);
    expect(sample('pod_memory_working_set_bytes', 'namespace="default",pod="web"')).toBeGreaterThan(0);
  });
});


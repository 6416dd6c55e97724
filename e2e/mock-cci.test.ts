// `burstlet mock-cci` as a process, with both runtimes, driven through the CCI client:
// pods really run, restart, probe, log, exec, port-forward and go away leaving nothing behind.
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeIsolated } from './support/isolated.ts';
import { CciClient, CciError } from '../src/cci/client.ts';
import type { CciContainer, CciPod } from '../src/cci/types.ts';
import { isGone, isTransient } from '../src/kube/errors.ts';
import { openWebSocketRemoteCommand } from '../src/streams/websocket-remote-command.ts';
import { cciPod } from './support/pods.ts';
import { pollUntil } from './support/poll.ts';
import { freePort } from '../src/local/free-port.ts';

const MAIN = path.resolve(import.meta.dirname, '../src/cli/main.ts');
const TOKEN = 'e2e-token-not-secret';

interface Mock {
  url: string;
  proc: ChildProcessWithoutNullStreams;
  dir: string;
  stop(): Promise<void>;
}

async function startMock(args: string[]): Promise<Mock> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bl-e2e-mock-'));
  await writeFile(path.join(dir, 'token'), TOKEN + '\n');
  const proc = spawn(process.execPath, [MAIN, 'mock-cci', `--token-file=${path.join(dir, 'token')}`, '--log-level=warn', `--state-dir=${path.join(dir, 'state')}`, ...args]);
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout.on('data', (d: Buffer) => {
      const m = /ready at (http:\/\/\S+)/.exec(d.toString());
      if (m) resolve(m[1]!);
    });
    proc.once('exit', (code) => reject(new Error(`mock-cci exited ${code}: ${stderr}`)));
  }).catch(async (err: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  return {
    url,
    proc,
    dir,
    async stop() {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const text = async (s: NodeJS.ReadableStream): Promise<string> => {
  let out = '';
  for await (const chunk of s) out += (chunk as Buffer).toString();
  return out;
};

/** Pods of the Kubernetes namespace "team", with 5 s to stop. */
const pod = (name: string, containers: CciContainer[], extra: Partial<CciPod['spec']> = {}): CciPod =>
  cciPod(name, containers, 'team', { terminationGracePeriodSeconds: 5, ...extra });

/** The network namespaces of the instance using stateDir (named after a hash of it). */
function ownNetns(stateDir: string): string[] {
  const tag = createHash('sha256').update(path.resolve(stateDir)).digest('hex').slice(0, 6);
  return execFileSync('ip', ['netns', 'list']).toString().split('\n').filter((l) => l.startsWith(`bl-${tag}-`));
}

/** Each runtime's tests; the isolated ones are skipped by name where the machine cannot run it. */
const forEachRuntime = (name: string, fn: (runtime: 'process' | 'isolated') => void): void => {
  describe(`${name} --runtime=process`, () => fn('process'));
  describeIsolated(`${name} --runtime=isolated`, () => fn('isolated'));
};

forEachRuntime('mock-cci', (runtime) => {
  const third = 100 + Math.floor(Math.random() * 150);
  const subnet = `198.18.${third}.0/24`;
  let mock: Mock;
  let cci: CciClient;
  const marker = String(900_000 + Math.floor(Math.random() * 99_999));

  beforeAll(async () => {
    mock = await startMock([`--runtime=${runtime}`, `--subnet=${subnet}`, '--crashloop-base=200ms', '--quota-cpu=8']);
    cci = new CciClient({ endpoint: mock.url, token: TOKEN, namespace: 'default', timeoutMs: 10_000 });
  });
  afterAll(async () => {
    await cci?.close();
    await mock?.stop();
    if (runtime === 'isolated') expect(ownNetns(path.join(mock.dir, 'state'))).toEqual([]);
  });

  it('refuses requests without the token and duplicates of a Kubernetes pod', async () => {
    const bad = new CciClient({ endpoint: mock.url, token: 'wrong', namespace: 'default' });
    const unauthorized = await bad.quota().catch((e: unknown) => e);
    expect(unauthorized).toMatchObject({ status: 401, reason: 'Unauthorized' });
    expect(isTransient(unauthorized)).toBe(false);
    await bad.close();
    await cci.createPod(pod('dup', [{ name: 'c', image: 'busybox' }]));
    const again = await cci.createPod({ ...pod('dup-2', [{ name: 'c', image: 'busybox' }]), metadata: { name: 'dup-2', annotations: { 'burstlet.io/pod-uid': 'uid-dup' } } }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(CciError);
    expect(again).toMatchObject({ status: 409, reason: 'AlreadyExists', details: { name: 'dup' } });
    await expect(cci.createPod(pod('big', [{ name: 'c', image: 'busybox', resources: { limits: { cpu: '16' } } }]))).rejects.toMatchObject({ status: 403, reason: 'Forbidden' });
    await expect(cci.createPod(pod('Bad_Name', [{ name: 'c', image: 'busybox' }]))).rejects.toMatchObject({ status: 422, reason: 'Invalid' });
    await cci.deletePod('dup', 0);
  });

  it('runs a pod: Running with an IP from the subnet, env expansion and logs', async () => {
    await cci.createPod(pod('hello', [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'echo "hello $(WHO)"; echo oops >&2; exec sleep ' + marker], env: [{ name: 'WHO', value: 'world' }] }]));
    const running = await pollUntil('hello Running', () => cci.getPod('hello'), (p) => p.status?.phase === 'Running', { timeoutMs: 20_000 });
    expect(running.status!.podIP!.startsWith(`198.18.${third}.`)).toBe(true);
    const c = running.status!.containerStatuses![0]!;
    expect(c).toMatchObject({ name: 'app', ready: true, started: true, restartCount: 0 });
    expect(c.containerID).toMatch(/^cci:\/\/[0-9a-f]{64}$/);
    expect(running.status!.conditions!.find((x) => x.type === 'Ready')!.status).toBe('True');
    // stdout and stderr are two pipes: lines written back to back on each may be read in either
    // order (as with any container runtime), so the merged log's order is not asserted.
    const logs = await pollUntil('hello\'s log with stdout and stderr', () => cci.logs('hello').then(text), (t) => t.includes('oops') && t.includes('hello'), { timeoutMs: 20_000 });
    expect(logs.split('\n').sort()).toEqual(['', 'hello world', 'oops']);
    expect(await text(await cci.logs('hello', { timestamps: true, tailLines: 1 }))).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z (oops|hello world)\n$/);
    expect(await text(await cci.logs('hello', { limitBytes: 3 }))).toBe(logs.slice(0, 3));
    const stats = await cci.stats();
    expect(stats.find((s) => s.name === 'hello')!.containers[0]!.workingSetBytes).toBeGreaterThan(0);
  });

  it('passes env names sh cannot export, working directories and the securityContext user', async () => {
    await cci.createPod(pod('envy', [
      { name: 'env', image: 'busybox', command: ['env'], env: [{ name: 'dotted.name', value: 'd' }, { name: 'plain', value: "it's" }] },
      { name: 'pwd', image: 'busybox', command: ['pwd'], workingDir: '/tmp' },
      { name: 'id', image: 'busybox', command: ['id'], securityContext: { runAsUser: 1234, runAsGroup: 2345 } },
    ], { restartPolicy: 'Never' }));
    await pollUntil('envy Succeeded', () => cci.getPod('envy'), (p) => p.status?.phase === 'Succeeded', { timeoutMs: 20_000 });
    const env = (await text(await cci.logs('envy', { container: 'env' }))).split('\n');
    expect(env).toContain('dotted.name=d');
    expect(env).toContain("plain=it's");
    expect(await text(await cci.logs('envy', { container: 'pwd' }))).toBe('/tmp\n');
    expect(await text(await cci.logs('envy', { container: 'id' }))).toMatch(/^uid=1234 gid=2345 groups=2345\n$/);
  });

  it('reports exit code 3, counts restarts with CrashLoopBackOff, and keeps the previous log', async () => {
    await cci.createPod(pod('exit3', [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo bye; exit 3'] }], { restartPolicy: 'Never' }));
    const done = await pollUntil('exit3 Failed', () => cci.getPod('exit3'), (p) => p.status?.phase === 'Failed', { timeoutMs: 20_000 });
    expect(done.status!.containerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    await cci.createPod(pod('crash', [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo run; exit 1'] }]));
    const looping = await pollUntil('two restarts of crash', () => cci.getPod('crash'), (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2, { timeoutMs: 20_000 });
    const cs = looping.status!.containerStatuses![0]!;
    expect(looping.status!.phase).toBe('Running');
    expect(cs.lastState!.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    await pollUntil('crash in CrashLoopBackOff', () => cci.getPod('crash'), (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff', { timeoutMs: 20_000 });
    expect(await text(await cci.logs('crash', { previous: true }))).toBe('run\n');
  });

  it('follows logs until the container ends, and enforces activeDeadlineSeconds', async () => {
    await cci.createPod(pod('ticker', [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'for i in 1 2 3; do echo $i; sleep 0.3; done'] }], { restartPolicy: 'Never' }));
    await pollUntil('ticker running', () => cci.getPod('ticker'), (p) => p.status?.containerStatuses?.[0]?.state?.running !== undefined, { timeoutMs: 20_000 });
    expect(await text(await cci.logs('ticker', { follow: true }))).toBe('1\n2\n3\n');
    await cci.createPod(pod('deadline', [{ name: 'c', image: 'busybox', command: ['sleep', marker] }], { activeDeadlineSeconds: 1, terminationGracePeriodSeconds: 1 }));
    const failed = await pollUntil('deadline Failed', () => cci.getPod('deadline'), (p) => p.status?.phase === 'Failed', { timeoutMs: 20_000 });
    expect(failed.status).toMatchObject({ reason: 'DeadlineExceeded' });
  });

  it('watches from a version, and answers 410 for one it cannot resume from', async () => {
    const list = await cci.listPods();
    const seen: string[] = [];
    const abort = new AbortController();
    const watching = cci.watchPods(list.metadata.resourceVersion, (e) => seen.push(`${e.type} ${'metadata' in e.object ? e.object.metadata.name : ''}`), abort.signal);
    await cci.createPod(pod('watched', [{ name: 'c', image: 'busybox' }]));
    try {
      await pollUntil('the watch to see the pod added', async () => seen, (x) => x.includes('ADDED watched'), { timeoutMs: 20_000 });
    } finally {
      abort.abort();
    }
    await watching;
    expect(seen.filter((x) => !x.startsWith('BOOKMARK') && !x.endsWith(' crash')).slice(0, 1)).toEqual(['ADDED watched']);
    const expired = await cci.watchPods('not-a-version', () => undefined, new AbortController().signal).catch((e: unknown) => e);
    expect(isGone(expired) && !isTransient(expired)).toBe(true);
  });

  it('runs init containers in order and executes probes', async () => {
    await cci.createPod(
      pod('probed', [{
        name: 'app', image: 'busybox', command: ['sleep', marker],
        readinessProbe: { exec: { command: ['false'] }, periodSeconds: 1 },
        livenessProbe: { exec: { command: ['sh', '-c', 'exit 1'] }, periodSeconds: 1, failureThreshold: 2 },
      }], { initContainers: [{ name: 'init-a', image: 'busybox', command: ['true'] }, { name: 'init-b', image: 'busybox', command: ['sh', '-c', 'echo init-b'] }], terminationGracePeriodSeconds: 1 }),
    );
    const p = await pollUntil('a liveness restart of probed', () => cci.getPod('probed'), (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, { timeoutMs: 30_000 });
    expect(p.status!.initContainerStatuses!.map((s) => s.state?.terminated?.reason)).toEqual(['Completed', 'Completed']);
    expect(p.status!.conditions!.find((x) => x.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady' });
    expect(p.status!.containerStatuses![0]!.ready).toBe(false);
    expect(await text(await cci.logs('probed', { container: 'init-b' }))).toBe('init-b\n');
  });

  it('execs inside the pod', async () => {
    const ws = cci.exec('hello', { command: ['sh', '-c', 'cat /etc/resolv.conf; cat; exit 7'], stdin: true });
    const s = await openWebSocketRemoteCommand(ws, { stdin: true, stdout: true, stderr: true, tty: false });
    s.stdin!.end('from-stdin\n');
    const [out, result] = await Promise.all([text(s.stdout!), s.result]);
    expect(result).toEqual({ exitCode: 7 });
    if (runtime === 'isolated') {
      expect(out).toBe('nameserver 198.19.0.10\nsearch team.svc.cluster.local svc.cluster.local\noptions ndots:5\nfrom-stdin\n');
    } else {
      expect(out.endsWith('from-stdin\n')).toBe(true);
    }
  });

  it('fails only the exec or the pod that carries a NUL byte, never the mock (issue #12 item 5)', async () => {
    await cci.createPod(pod('nul-target', [{ name: 'c', image: 'busybox', command: ['sleep', marker] }]));
    await pollUntil('nul-target Running', () => cci.getPod('nul-target'), (p) => p.status?.phase === 'Running');
    for (const tty of [false, true]) {
      const ws = cci.exec('nul-target', { command: ['echo', 'a\0b'], tty, stdin: tty });
      const s = await openWebSocketRemoteCommand(ws, { stdin: tty, stdout: true, stderr: !tty, tty });
      s.stdin?.end();
      expect(await s.result).toMatchObject({ error: expect.stringMatching(/NUL/) });
    }
    await cci.createPod(pod('nul-env', [
      { name: 'env', image: 'busybox', command: ['env'], env: [{ name: 'dotted.name', value: 'a\0b' }] },
      { name: 'arg', image: 'busybox', command: ['echo', 'a\0b'] },
      { name: 'dir', image: 'busybox', command: ['pwd'], workingDir: '/tmp\0x' },
    ], { restartPolicy: 'Never' }));
    const failed = await pollUntil('nul-env Failed', () => cci.getPod('nul-env'), (p) => p.status?.phase === 'Failed');
    for (const c of failed.status!.containerStatuses!) expect(c.state?.terminated).toMatchObject({ exitCode: 128, reason: 'StartError', message: expect.stringMatching(/NUL/) });
    // The mock still serves, and the pod that was running still runs.
    expect((await cci.getPod('nul-target')).status?.phase).toBe('Running');
    const ok = await openWebSocketRemoteCommand(cci.exec('nul-target', { command: ['echo', 'still here'] }), { stdin: false, stdout: true, stderr: true, tty: false });
    expect(await text(ok.stdout!)).toBe('still here\n');
    await cci.createPod(pod('nul-mount', [{ name: 'c', image: 'busybox', command: ['sleep', marker], volumeMounts: [{ name: 'v', mountPath: '/data\0x' }] }],
      { volumes: [{ name: 'v', emptyDir: {} }] }));
    await pollUntil('nul-mount settled', () => cci.getPod('nul-mount'), (p) => p.status?.phase !== 'Pending' || p.status?.conditions?.some((c) => c.reason !== undefined) === true);
    expect((await cci.getPod('nul-target')).status?.phase).toBe('Running');
    await cci.deletePod('nul-env', 0);
    await cci.deletePod('nul-mount', 0);
    await cci.deletePod('nul-target', 0);
  });

  it('execs with a tty that follows resizes, and attaches to a running container', async () => {
    const ws = cci.exec('hello', { command: ['sh', '-c', 'sleep 0.5; stty size'], tty: true, stdin: true });
    const s = await openWebSocketRemoteCommand(ws, { stdin: true, stdout: true, stderr: false, tty: true });
    s.resize({ width: 123, height: 45 });
    s.stdin!.end();
    const [out, result] = await Promise.all([text(s.stdout!), s.result]);
    expect(result).toEqual({ exitCode: 0 });
    expect(out).toContain('45 123');
    await cci.createPod(pod('ticking', [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'while true; do echo tick; sleep 0.2; done'] }]));
    await pollUntil('ticking Running', () => cci.getPod('ticking'), (p) => p.status?.phase === 'Running', { timeoutMs: 20_000 });
    const attached = await openWebSocketRemoteCommand(cci.attach('ticking', {}), { stdin: false, stdout: true, stderr: true, tty: false });
    const first = await new Promise<string>((resolve) => attached.stdout!.once('data', (d: Buffer) => resolve(d.toString())));
    expect(first).toBe('tick\n');
    attached.close();
  });

  it('port-forwards to an nginx pod', async () => {
    const port = runtime === 'isolated' ? 80 : await freePort();
    const html = { name: 'html', files: { items: [{ path: 'index.html', data: Buffer.from('<h1>from a volume</h1>\n').toString('base64') }] } };
    await cci.createPod(pod('web', [{
      name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: port }],
      readinessProbe: { httpGet: { path: '/', port }, periodSeconds: 1 },
      volumeMounts: [{ name: 'html', mountPath: '/usr/share/nginx/html', readOnly: true }],
    }], { volumes: [html] }));
    await pollUntil('web ready', () => cci.getPod('web'), (p) => p.status?.containerStatuses?.[0]?.ready === true, { timeoutMs: 20_000 });
    const conn = await cci.portForward('web', port);
    conn.write('GET / HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n');
    const response = await text(conn);
    expect(response).toMatch(/^HTTP\/1\.1 200 OK/);
    // Only the isolated runtime mounts volumes at their mountPath.
    expect(response).toContain(runtime === 'isolated' ? '<h1>from a volume</h1>' : 'Welcome to nginx!');
    const access = await pollUntil('web\'s access log line', () => cci.logs('web').then(text), (t) => t.includes('"GET / HTTP/1.1" 200'), { timeoutMs: 20_000 });
    expect(access).toMatch(/\[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET \/ HTTP\/1\.1" 200/);
  });

  it('a volume whose files cannot be written fails the pod with the kubelet\'s FailedMount', async () => {
    // "conf" is a file, so "conf/extra" cannot be made under it.
    const data = Buffer.from('x').toString('base64');
    const clash = { name: 'cfg', files: { items: [{ path: 'conf', data }, { path: 'conf/extra', data }] } };
    await cci.createPod(pod('mountfail', [{ name: 'c', image: 'busybox', volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }] }], { volumes: [clash] }));
    const failed = await pollUntil('mountfail Failed', () => cci.getPod('mountfail'), (p) => p.status?.phase === 'Failed');
    expect(failed.status).toMatchObject({ reason: 'FailedMount', message: expect.stringMatching(/^MountVolume\.SetUp failed for volume "cfg" : /) });
    await cci.deletePod('mountfail', 0);
  });

  it('runs postStart after the start and preStop before the TERM', async () => {
    const mark = path.join(mock.dir, 'hooks');
    await cci.createPod(pod('hooked', [{
      name: 'c', image: 'busybox',
      command: ['sh', '-c', `trap 'echo term >> ${mark}; exit 0' TERM; while :; do sleep 0.1; done`],
      lifecycle: {
        postStart: { exec: { command: ['sh', '-c', `echo post-start >> ${mark}`] } },
        preStop: { exec: { command: ['sh', '-c', `echo pre-stop >> ${mark}`] } },
      },
    }]));
    await pollUntil('the postStart mark', () => readFile(mark, 'utf8').catch(() => ''), (t) => t === 'post-start\n', { timeoutMs: 20_000 });
    await cci.deletePod('hooked', 5);
    await pollUntil('the pod gone', () => cci.listPods().then((l) => l.items.some((p) => p.metadata.name === 'hooked')), (present) => !present, { timeoutMs: 20_000 });
    expect(await readFile(mark, 'utf8')).toBe('post-start\npre-stop\nterm\n');
  });

  it('starts containers in order, each after the previous one\'s postStart hook returned (as the kubelet)', async () => {
    const mark = path.join(mock.dir, 'order');
    await cci.createPod(pod('ordered', [
      {
        name: 'first', image: 'busybox', command: ['sleep', 'infinity'],
        lifecycle: { postStart: { exec: { command: ['sh', '-c', `sleep 1; echo hook-done >> ${mark}`] } } },
      },
      { name: 'second', image: 'busybox', command: ['sh', '-c', `echo second-started >> ${mark}; sleep infinity`] },
    ]));
    await pollUntil('the second container started', () => readFile(mark, 'utf8').catch(() => ''), (t) => t.includes('second-started'), { timeoutMs: 20_000 });
    expect(await readFile(mark, 'utf8')).toBe('hook-done\nsecond-started\n');
    await cci.deletePod('ordered', 0);
    // Gone before the next test counts the IPs in use.
    await pollUntil('the pod gone', () => cci.listPods().then((l) => l.items.some((p) => p.metadata.name === 'ordered')), (present) => !present, { timeoutMs: 20_000 });
  });

  it('deletes within the grace period leaving no process, namespace or IP behind', async () => {
    const before = (await cci.network()).status.usedIPs;
    await cci.createPod(pod('stubborn', [{ name: 'c', image: 'busybox', command: ['sh', '-c', `trap "" TERM; sleep ${marker}1 & wait; sleep ${marker}1`] }]));
    await pollUntil('stubborn Running', () => cci.getPod('stubborn'), (p) => p.status?.phase === 'Running', { timeoutMs: 20_000 });
    const t0 = Date.now();
    const marked = await cci.deletePod('stubborn', 2);
    expect(marked.metadata.deletionGracePeriodSeconds).toBe(2);
    await pollUntil('stubborn gone', () => cci.listPods().then((l) => l.items.map((p) => p.metadata.name)), (names) => !names.includes('stubborn'), { timeoutMs: 10_000 });
    expect(Date.now() - t0).toBeLessThan(4_000);
    expect(execFileSync('ps', ['-eo', 'args']).toString()).not.toContain(`sleep ${marker}1`);
    expect((await cci.network()).status.usedIPs).toBe(before);
    for (const name of (await cci.listPods()).items.map((p) => p.metadata.name)) await cci.deletePod(name, 0);
    await pollUntil('every IP free', () => cci.network(), (n) => n.status.usedIPs === 0, { timeoutMs: 20_000 });
    expect(execFileSync('ps', ['-eo', 'args']).toString()).not.toContain(`sleep ${marker}`);
    if (runtime === 'isolated') expect(ownNetns(path.join(mock.dir, 'state'))).toEqual([]);
  });
});

forEachRuntime('mock-cci after a crash', (runtime) => {
  it('removes the namespaces and processes a killed instance left in its state dir', async () => {
    const stateParent = await mkdtemp(path.join(os.tmpdir(), 'bl-e2e-crash-'));
    const args = [`--runtime=${runtime}`, `--subnet=198.18.${100 + Math.floor(Math.random() * 150)}.0/24`];
    const marker = String(800_000 + Math.floor(Math.random() * 99_999));
    const first = await startMock([...args, `--state-dir=${stateParent}/state`]);
    const cci = new CciClient({ endpoint: first.url, token: TOKEN, namespace: 'default' });
    await cci.createPod(pod('left', [{ name: 'c', image: 'busybox', command: ['sleep', marker] }]));
    await pollUntil('left Running', () => cci.getPod('left'), (p) => p.status?.phase === 'Running', { timeoutMs: 20_000 });
    await cci.close();
    const killed = new Promise((r) => first.proc.once('exit', r));
    first.proc.kill('SIGKILL');
    await killed;
    expect(execFileSync('ps', ['-eo', 'args']).toString()).toContain(`sleep ${marker}`);
    const second = await startMock([...args, `--state-dir=${stateParent}/state`]);
    expect(execFileSync('ps', ['-eo', 'args']).toString()).not.toContain(`sleep ${marker}`);
    const left = ownNetns(`${stateParent}/state`);
    await second.stop();
    await rm(stateParent, { recursive: true, force: true });
    expect(left).toEqual([]);
  });
});

describe('mock-cci --runtime=none: a backend that does no work (bench/peer.ts)', () => {
  let mock: Mock;
  let cci: CciClient;
  beforeAll(async () => {
    mock = await startMock(['--runtime=none', `--subnet=198.18.${100 + Math.floor(Math.random() * 150)}.0/24`]);
    cci = new CciClient({ endpoint: mock.url, token: TOKEN, namespace: 'default', timeoutMs: 10_000 });
  });
  afterAll(async () => {
    await cci?.close();
    await mock?.stop();
  });

  it('runs a pod at once without starting anything, and deletes it at once whatever the grace period', async () => {
    const marker = `none-${Math.random().toString(36).slice(2)}`;
    await cci.createPod(pod('idle', [{ name: 'c', image: 'busybox', command: ['sleep', marker] }], { terminationGracePeriodSeconds: 30 }));
    const running = await pollUntil('Running', () => cci.getPod('idle'), (p) => p.status?.phase === 'Running');
    expect(running.status?.containerStatuses?.[0]?.state?.running).toBeDefined();
    // No process of it anywhere.
    expect(execFileSync('ps', ['-eo', 'args']).toString()).not.toContain(marker);
    const started = performance.now();
    await cci.deletePod('idle', 30);
    await pollUntil('gone', () => cci.getPod('idle').then(() => false, () => true), (gone) => gone);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('mock-cci connection limits (issue #12 item 3, slowloris)', () => {
  it('closes half-sent requests past --max-unauthenticated-connections at once and the rest at --request-header-timeout, serving throughout', async () => {
    const mock = await startMock(['--runtime=process', '--max-unauthenticated-connections=5', '--request-header-timeout=600ms']);
    const { port } = new URL(mock.url);
    const halfSent = (): Promise<number> => {
      const opened = Date.now();
      const s = net.connect(Number(port), '127.0.0.1', () => s.write('GET /apis/cci/v2/namespaces/default/pods HTTP/1.1\r\nHost: x\r\nX-Slow: '));
      s.on('error', () => undefined);
      s.resume();
      return new Promise((resolve) => s.once('close', () => resolve(Date.now() - opened)));
    };
    const cci = new CciClient({ endpoint: mock.url, token: TOKEN, namespace: 'default', timeoutMs: 10_000 });
    try {
      const lifetimes = await Promise.all(Array.from({ length: 20 }, halfSent));
      expect(lifetimes.filter((ms) => ms < 500).length).toBeGreaterThanOrEqual(15);
      expect(Math.max(...lifetimes)).toBeLessThan(5_000);
      expect((await cci.listPods()).items).toEqual([]);
    } finally {
      await cci.close();
      await mock.stop();
    }
  });
});

describe('mock-cci fault injection', () => {
  it('injects about 20% errors, the same ones for the same seed', async () => {
    const pattern = async (seed: number): Promise<string> => {
      const mock = await startMock(['--runtime=process', '--subnet=198.18.99.0/24', '--fault-error-rate=0.2', `--fault-seed=${seed}`]);
      const cci = new CciClient({ endpoint: mock.url, token: TOKEN, namespace: 'default' });
      let out = '';
      for (let i = 0; i < 100; i++) {
        out += await cci.quota().then(
          () => '.',
          (e: CciError) => (isTransient(e) ? String(e.status)[0]! : 'x'),
        );
      }
      await cci.close();
      await mock.stop();
      return out;
    };
    const a = await pattern(11);
    const b = await pattern(11);
    expect(a).toBe(b);
    const errors = a.replace(/\./g, '').length;
    expect(errors).toBeGreaterThan(8);
    expect(errors).toBeLessThan(35);
    expect(a).not.toContain('x');
  });

  it('loses some write responses after doing the work, which creation by uid makes safe to retry', async () => {
    const mock = await startMock(['--runtime=process', '--subnet=198.18.97.0/24', '--fault-error-rate=0.5', '--fault-seed=3']);
    const cci = new CciClient({ endpoint: mock.url, token: TOKEN, namespace: 'default' });
    const outcomes: string[] = [];
    for (let i = 0; i < 20; i++) {
      const name = `lost-${i}`;
      for (let attempt = 0; ; attempt++) {
        const r = await cci.createPod(pod(name, [{ name: 'c', image: 'busybox' }])).then(() => 'created', (e: CciError) => `${e.status} ${e.reason}`);
        outcomes.push(r);
        if (r === 'created' || r === '409 AlreadyExists') break;
        expect(r).toMatch(/^(500 InternalError|503 ServiceUnavailable|429 TooManyRequests)$/);
      }
    }
    expect(outcomes).toContain('500 InternalError');
    expect(outcomes).toContain('409 AlreadyExists');
    const listed = await pollUntil('the pod list', () => cci.listPods().catch(() => null), (l) => l !== null, { timeoutMs: 20_000 });
    expect(listed!.items.map((p) => p.metadata.name).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `lost-${i}`).sort());
    await cci.close();
    await mock.stop();
  });

  it('classifies slow and unreachable backends as transient errors', async () => {
    // undici's request timers are coarse (up to ~1 s late for short timeouts): keep a wide margin.
    const mock = await startMock(['--runtime=process', '--subnet=198.18.96.0/24', '--fault-latency=3s']);
    const slow = new CciClient({ endpoint: mock.url, token: TOKEN, namespace: 'default', timeoutMs: 200 });
    const timedOut = await slow.quota().catch((e: unknown) => e);
    expect(timedOut).toMatchObject({ status: 0, reason: 'Timeout' });
    expect(isTransient(timedOut)).toBe(true);
    await slow.close();
    await mock.stop();
    const gone = new CciClient({ endpoint: mock.url, token: TOKEN, namespace: 'default', timeoutMs: 2_000 });
    const err = await gone.quota().catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 0, reason: 'ConnectionError' });
    expect(isTransient(err)).toBe(true);
    expect((err as Error).message).not.toContain(TOKEN);
    await gone.close();
  });

  it('drops watches after the configured time', async () => {
    const mock = await startMock(['--runtime=process', '--subnet=198.18.98.0/24', '--fault-drop-watch-after=300ms']);
    const cci = new CciClient({ endpoint: mock.url, token: TOKEN, namespace: 'default' });
    const t0 = Date.now();
    await cci.watchPods('0', () => undefined, new AbortController().signal).catch(() => undefined);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(Date.now() - t0).toBeLessThan(3_000);
    await cci.close();
    await mock.stop();
  });
});

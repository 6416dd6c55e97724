// kubectl's streaming commands into a burst pod, as one scenario the e2e files run against each
// control plane (the embedded one, kubectl-streams.test.ts; the real one,
// kubernetes-streams.test.ts), so the two are held to the same expectations: exec (stdin, exit
// codes, stderr apart), port-forward, logs and their options, attach, cp both ways and a terminal
// with resizes, with kubectl 1.33 over WebSocket and over SPDY and with kubectl 1.27.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kubectlPath, readOutput, type Kubectl, type KubectlVersion } from './kubectl.ts';
import { burstPod } from './pods.ts';
import { pollUntil, waitFor } from './poll.ts';

/** What the scenario runs against, known once the file's beforeAll has run. */
export interface StreamsTarget {
  k: Kubectl;
  /** A directory for cp's files. */
  tmp: string;
}

export const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export function curl(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-sk', '--max-time', '20', ...args], (err, stdout) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }));
  });
}

/** The scenario's pods on `node`: a ticking shell, nginx, and a container that keeps restarting. */
export function streamsPods(node: string): object[] {
  return [
    burstPod('shell', node, [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'echo started; i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.5; done'] }]),
    burstPod('web', node, [{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80 }] }]),
    // Restarts (restartPolicy Always): each run prints its own start time, for --previous.
    burstPod('restarter', node, [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'echo run $(date +%s%N); sleep 1; exit 1'] }]),
  ];
}

export function waitRunning(k: Kubectl, name: string): Promise<string> {
  return pollUntil(`${name} Running`, () => k.ok(['get', 'pod', name, '-o', 'jsonpath={.status.phase}']), (phase) => phase === 'Running', { timeoutMs: 60_000 });
}

/** Registers the scenario's tests; `target()` is read when they run. */
export function kubectlStreamsScenario(target: () => StreamsTarget): void {
  const variants: { name: string; version: KubectlVersion; env: Record<string, string> }[] = [
    { name: 'kubectl 1.33 WebSocket', version: '1.33', env: {} },
    { name: 'kubectl 1.33 SPDY', version: '1.33', env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false', KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' } },
    { name: 'kubectl 1.27', version: '1.27', env: {} },
  ];

  describe.each(variants)('$name into a burst pod', ({ version, env }) => {
    it('exec -- echo hi', async () => {
      const r = await target().k.run(['exec', 'shell', '--', 'echo', 'hi'], { env, version });
      expect(r.stderr).toBe('');
      expect(r.stdout.toString()).toBe('hi\n');
      expect(r.code).toBe(0);
    });

    it('exec -i returns 10 MiB of stdin intact', async () => {
      const payload = randomBytes(10 << 20);
      const r = await target().k.run(['exec', '-i', 'shell', '--', 'cat'], { env, version, stdin: payload });
      expect(r.code, r.stderr).toBe(0);
      expect(r.bytes.length).toBe(payload.length);
      expect(sha(r.bytes)).toBe(sha(payload));
    });

    it("exec -- sh -c 'exit 3' makes kubectl exit 3, stdout and stderr apart", async () => {
      const r = await target().k.run(['exec', 'shell', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3'], { env, version });
      expect(r.code).toBe(3);
      expect(r.stdout.toString()).toBe('out\n');
      expect(r.stderr).toContain('err\n');
    });

    it('port-forward to the nginx pod carries two curls at once', async () => {
      const forward = await target().k.portForward('pod/web', 80, { env, version });
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
      const r = await target().k.run(['logs', 'shell'], { env, version });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.toString()).toMatch(/^started\ntick 1\n/);
    });
  });

  describe('errors and cleanup (1.33)', () => {
    it('an unknown container is a NotFound error naming it', async () => {
      const r = await target().k.run(['exec', 'shell', '-c', 'nope', '--', 'true']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('container nope is not valid for pod shell');
    });

    it('an exec whose client vanishes ends the process in the pod', async () => {
      const marker = String(100_000 + Math.floor(Math.random() * 800_000));
      const running = (): Promise<boolean> => new Promise((resolve) => execFile('pgrep', ['-f', `^sleep ${marker}$`], (err) => resolve(!err)));
      const child = target().k.spawn(['exec', 'shell', '--', 'sleep', marker]);
      await waitFor('the exec\'d sleep running', async () => ((await running()) ? true : undefined), { timeoutMs: 15_000 });
      child.kill('SIGKILL');
      await waitFor('the exec\'d sleep gone after the client vanished', async () => ((await running()) ? undefined : true), { timeoutMs: 15_000 });
    });
  });

  describe('kubectl logs options (1.33)', () => {
    it('--tail=2 gives the last two lines', async () => {
      const r = await target().k.run(['logs', 'shell', '--tail=2']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.toString()).toMatch(/^tick \d+\ntick \d+\n$/);
    });

    it('--timestamps prefixes RFC 3339 times', async () => {
      const r = await target().k.run(['logs', 'shell', '--tail=1', '--timestamps']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.toString()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z tick \d+\n$/);
    });

    it('--since=1h includes the first line; --since=1s only recent ones', async () => {
      const all = (await target().k.run(['logs', 'shell', '--since=1h'])).stdout.toString();
      expect(all).toMatch(/^started\n/);
      const recent = (await target().k.run(['logs', 'shell', '--since=1s'])).stdout.toString();
      expect(recent).not.toContain('started');
      expect(recent.split('\n').filter(Boolean).length).toBeLessThan(all.split('\n').filter(Boolean).length);
    });

    it('logs -f follows new lines until the client leaves', async () => {
      const child = target().k.spawn(['logs', '-f', 'shell', '--tail=1']);
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
      await waitFor('a restart', async () => (Number(await target().k.ok(['get', 'pod', 'restarter', '-o', 'jsonpath={.status.containerStatuses[0].restartCount}'])) >= 1 ? true : undefined), { timeoutMs: 60_000 });
      const previous = await target().k.run(['logs', 'restarter', '--previous']);
      expect(previous.code, previous.stderr).toBe(0);
      expect(previous.stdout.toString()).toMatch(/^run \d+\n$/);
    });

    it('attach streams the running container\'s output', async () => {
      const child = target().k.spawn(['attach', 'shell']);
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
      const local = join(target().tmp, 'up.bin');
      const payload = randomBytes(300_000);
      writeFileSync(local, payload);
      const up = await target().k.run(['cp', local, 'shell:/tmp/up.bin']);
      expect(up.code, up.stderr).toBe(0);
      const inPod = await target().k.run(['exec', 'shell', '--', 'sha256sum', '/tmp/up.bin']);
      expect(inPod.stdout.toString().split(' ')[0]).toBe(sha(payload));
      const back = join(target().tmp, 'down.bin');
      const down = await target().k.run(['cp', 'shell:/tmp/up.bin', back]);
      expect(down.code, down.stderr).toBe(0);
      expect(sha(readFileSync(back))).toBe(sha(payload));
    });

    it('exec -it in a tmux pane: the pane size from the first instruction on, then a resize, seen by stty size', async () => {
      const socket = `bl-${randomBytes(4).toString('hex')}`;
      const tmux = (...args: string[]): Promise<string> =>
        new Promise((resolve, reject) => execFile('tmux', ['-L', socket, ...args], { env: { ...process.env, KUBECONFIG: target().k.kubeconfig } }, (err, out) => (err ? reject(err) : resolve(out))));
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
}

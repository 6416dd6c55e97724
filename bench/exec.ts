// Exec through burstlet's kubelet API: stdout throughput of a 256 MiB stream over SPDY/3.1 and
// over WebSocket (v5.channel.k8s.io), against the same bytes piped straight from a local
// process; and the round-trip of 100 sequential `echo` execs against 100 local spawns. The
// backend runs commands locally, so the difference is burstlet's own overhead (TLS, framing).
// The client (standing in for kube-apiserver or kubectl) runs in a process of its own, as theirs
// do: sharing the kubelet's thread, its TLS decryption and frame parsing were counted as ours.
// The local pipe is read by that same client process.
// Throughput is measured in rounds of all three paths and reported as each path's median: one
// transfer on a shared machine varies by ±20% with what else runs.
import { fork } from 'node:child_process';
import type { Readable } from 'node:stream';
import { WebSocket } from 'ws';
import { KubeletAuth } from '../src/provider/kubelet/auth.ts';
import { startKubeletServer } from '../src/provider/kubelet/server.ts';
import { selfSignedServingCert } from '../src/provider/kubelet/serving-cert.ts';
import type { Pod } from '../src/provider/kube/wire.ts';
import { openSpdyRemoteCommand, REMOTE_COMMAND_SPDY_PROTOCOLS } from '../src/streams/spdy/remote-command.ts';
import { dialSpdy } from '../src/streams/spdy/upgrade.ts';
import { openWebSocketRemoteCommand } from '../src/streams/websocket-remote-command.ts';
import { localProcessBackend, processClient } from '../e2e/support/test-kubelet.ts';

const SIZE_MIB = 256;
const ROUNDS = 3;
const EXECS = 100;
const POD: Pod = { metadata: { name: 'bench', namespace: 'default', uid: 'bench' }, spec: { containers: [{ name: 'c', image: 'x' }] } };

function count(stream: Readable | null): Promise<number> {
  return new Promise((resolve) => {
    let n = 0;
    if (!stream) return resolve(0);
    stream.on('data', (c: Buffer) => (n += c.length));
    stream.on('end', () => resolve(n));
  });
}

const base = process.argv[3] ?? '';
const tls = { rejectUnauthorized: false };
const produce = ['head', '-c', String(SIZE_MIB << 20), '/dev/zero'];
const execQuery = (command: readonly string[]): string => `${command.map((c) => `command=${encodeURIComponent(c)}`).join('&')}&output=1&error=1`;

async function spdyExec(command: readonly string[]): Promise<number> {
  const { session, protocol } = await dialSpdy({ url: new URL(`/exec/default/bench/c?${execQuery(command)}`, base), protocols: REMOTE_COMMAND_SPDY_PROTOCOLS, tls });
  const client = await openSpdyRemoteCommand(session, protocol, { stdin: false, stdout: true, stderr: true, tty: false });
  const [bytes] = await Promise.all([count(client.stdout), count(client.stderr), client.result]);
  return bytes;
}

async function wsExec(command: readonly string[]): Promise<number> {
  const ws = new WebSocket(`${base.replace('https:', 'wss:')}/exec/default/bench/c?${execQuery(command)}`, ['v5.channel.k8s.io'], { ...tls, perMessageDeflate: false });
  const client = await openWebSocketRemoteCommand(ws, { stdin: false, stdout: true, stderr: true, tty: false });
  const [bytes] = await Promise.all([count(client.stdout), count(client.stderr), client.result]);
  return bytes;
}

async function localExec(command: readonly string[]): Promise<number> {
  const c = processClient(command, false);
  const [bytes] = await Promise.all([count(c.stdout), count(c.stderr), c.result]);
  return bytes;
}

type Path = 'local' | 'spdy' | 'ws';
const runs: Record<Path, (cmd: readonly string[]) => Promise<number>> = { local: localExec, spdy: spdyExec, ws: wsExec };
type Request = { path: Path; what: 'throughput' | 'latency' };

/** The client process: runs what the bench asks, answers MiB/s or ms per exec. */
function clientMain(): void {
  process.on('message', (req: Request) => {
    void (async () => {
      const run = runs[req.path];
      const started = performance.now();
      if (req.what === 'throughput') {
        const bytes = await run(produce);
        if (bytes !== SIZE_MIB << 20) throw new Error(`${req.path}: got ${bytes} bytes, want ${SIZE_MIB << 20}`);
        process.send!(SIZE_MIB / ((performance.now() - started) / 1000));
      } else {
        for (let i = 0; i < EXECS; i++) await run(['echo', 'hi']);
        process.send!((performance.now() - started) / EXECS);
      }
    })();
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function benchMain(): Promise<void> {
  const server = await startKubeletServer({
    nodeName: 'bench',
    host: '127.0.0.1',
    port: 0,
    tls: await selfSignedServingCert('bench', ['127.0.0.1']),
    auth: new KubeletAuth({ anonymous: true, webhookTokens: false, reviews: { tokenReview: async () => null, subjectAccessReview: async () => true } }),
    backend: localProcessBackend(POD),
  });
  const client = fork(import.meta.filename, ['client', `https://127.0.0.1:${server.port}`], { stdio: 'inherit' });
  let failed: ((err: Error) => void) | undefined;
  client.on('exit', (code) => failed?.(new Error(`the client process exited (${code})`)));
  const ask = (req: Request): Promise<number> => new Promise((resolve, reject) => {
    failed = reject;
    client.once('message', (n) => resolve(n as number));
    client.send(req);
  });
  try {
    console.log(`exec stdout throughput, ${SIZE_MIB} MiB of zeros, median of ${ROUNDS} rounds (each round's figures in brackets)`);
    const paths: [string, Path][] = [
      ['local pipe (comparison)', 'local'],
      ['kubelet API, SPDY/3.1 + TLS', 'spdy'],
      ['kubelet API, WebSocket + TLS', 'ws'],
    ];
    const rates: number[][] = paths.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, [, path]] of paths.entries()) rates[i]!.push(await ask({ path, what: 'throughput' }));
    }
    const [local, spdy, ws] = rates.map(median) as [number, number, number];
    for (const [i, [name]] of paths.entries()) {
      console.log(`${name.padEnd(28)} ${median(rates[i]!).toFixed(0).padStart(6)} MiB/s  [${rates[i]!.map((r) => r.toFixed(0)).join(' ')}]`);
    }
    console.log(`SPDY at ${((spdy / local) * 100).toFixed(0)}% and WebSocket at ${((ws / local) * 100).toFixed(0)}% of the local pipe (target: 200 MiB/s each)`);
    console.log('\nexec round trip: `echo hi`');
    const ms: Record<Path, number> = { local: 0, spdy: 0, ws: 0 };
    for (const [name, path] of paths) {
      ms[path] = await ask({ path, what: 'latency' });
      console.log(`${name.padEnd(28)} ${ms[path].toFixed(1).padStart(6)} ms per exec (${EXECS} sequential)`);
    }
    console.log(`burstlet's own overhead per exec: SPDY ${(ms.spdy - ms.local).toFixed(1)} ms, WebSocket ${(ms.ws - ms.local).toFixed(1)} ms`);
  } finally {
    client.kill();
    await server.close();
  }
}

if (process.argv[2] === 'client') clientMain();
else await benchMain();

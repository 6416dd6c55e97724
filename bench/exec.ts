// Exec through burstlet's kubelet API: stdout throughput of a 256 MiB stream over SPDY/3.1 and
// over WebSocket (v5.channel.k8s.io), against the same bytes piped straight from a local
// process; and the round-trip of 100 sequential `echo` execs against 100 local spawns. The
// backend runs commands locally, so the difference is burstlet's own overhead (TLS, framing).
// Throughput is measured in rounds of all three paths and reported as each path's median: one
// transfer on a shared machine varies by ±20% with what else runs.
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

const backend = localProcessBackend(POD);

function count(stream: Readable | null): Promise<number> {
  return new Promise((resolve) => {
    let n = 0;
    if (!stream) return resolve(0);
    stream.on('data', (c: Buffer) => (n += c.length));
    stream.on('end', () => resolve(n));
  });
}

const server = await startKubeletServer({
  nodeName: 'bench',
  host: '127.0.0.1',
  port: 0,
  tls: await selfSignedServingCert('bench', ['127.0.0.1']),
  auth: new KubeletAuth({ anonymous: true, webhookTokens: false, reviews: { tokenReview: async () => null, subjectAccessReview: async () => true } }),
  backend,
});
const base = `https://127.0.0.1:${server.port}`;
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
  const ws = new WebSocket(`wss://127.0.0.1:${server.port}/exec/default/bench/c?${execQuery(command)}`, ['v5.channel.k8s.io'], { ...tls, perMessageDeflate: false });
  const client = await openWebSocketRemoteCommand(ws, { stdin: false, stdout: true, stderr: true, tty: false });
  const [bytes] = await Promise.all([count(client.stdout), count(client.stderr), client.result]);
  return bytes;
}

async function localExec(command: readonly string[]): Promise<number> {
  const c = processClient(command, false);
  const [bytes] = await Promise.all([count(c.stdout), count(c.stderr), c.result]);
  return bytes;
}

async function throughput(name: string, run: (cmd: readonly string[]) => Promise<number>): Promise<number> {
  const started = performance.now();
  const bytes = await run(produce);
  const seconds = (performance.now() - started) / 1000;
  if (bytes !== SIZE_MIB << 20) throw new Error(`${name}: got ${bytes} bytes, want ${SIZE_MIB << 20}`);
  return SIZE_MIB / seconds;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function latency(name: string, run: (cmd: readonly string[]) => Promise<number>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < EXECS; i++) await run(['echo', 'hi']);
  const ms = (performance.now() - started) / EXECS;
  console.log(`${name.padEnd(28)} ${ms.toFixed(1).padStart(6)} ms per exec (${EXECS} sequential)`);
  return ms;
}

try {
  console.log(`exec stdout throughput, ${SIZE_MIB} MiB of zeros, median of ${ROUNDS} rounds (each round's figures in brackets)`);
  const paths: [string, (cmd: readonly string[]) => Promise<number>][] = [
    ['local pipe (comparison)', localExec],
    ['kubelet API, SPDY/3.1 + TLS', spdyExec],
    ['kubelet API, WebSocket + TLS', wsExec],
  ];
  const rates: number[][] = paths.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, [name, run]] of paths.entries()) rates[i]!.push(await throughput(name, run));
  }
  const [local, spdy, ws] = rates.map(median) as [number, number, number];
  for (const [i, [name]] of paths.entries()) {
    console.log(`${name.padEnd(28)} ${median(rates[i]!).toFixed(0).padStart(6)} MiB/s  [${rates[i]!.map((r) => r.toFixed(0)).join(' ')}]`);
  }
  console.log(`SPDY at ${((spdy / local) * 100).toFixed(0)}% and WebSocket at ${((ws / local) * 100).toFixed(0)}% of the local pipe`);
  console.log('\nexec round trip: `echo hi`');
  const localMs = await latency('local spawn (comparison)', localExec);
  const spdyMs = await latency('kubelet API, SPDY/3.1 + TLS', spdyExec);
  const wsMs = await latency('kubelet API, WebSocket + TLS', wsExec);
  console.log(`burstlet's own overhead per exec: SPDY ${(spdyMs - localMs).toFixed(1)} ms, WebSocket ${(wsMs - localMs).toFixed(1)} ms`);
} finally {
  await server.close();
}

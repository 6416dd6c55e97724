// Exec through burstlet's kubelet API: stdout throughput of a 256 MiB stream over SPDY/3.1 and
// over WebSocket (v5.channel.k8s.io), against the same bytes piped straight from a local
// process; and the round-trip of 100 sequential `echo` execs against 100 local spawns. The
// backend runs commands locally, so the difference is burstlet's own overhead (TLS, framing).
// The client (standing in for kube-apiserver or kubectl) runs in a process of its own, as theirs
// do: sharing the kubelet's thread, its TLS decryption and frame parsing were counted as ours.
// The local pipe is read by that same client process. The same execs also go the product's whole
// way down: kubelet → CCI client → the mock CCI (its own process) → the command in a CCI pod.
// Throughput is measured in rounds of all three paths and reported as each path's median: one
// transfer on a shared machine varies by ±20% with what else runs.
import { fork } from 'node:child_process';
import type { Readable } from 'node:stream';
import { WebSocket } from 'ws';
import { KubeletAuth } from '../src/provider/kubelet/auth.ts';
import { startKubeletServer } from '../src/provider/kubelet/server.ts';
import { selfSignedServingCert } from '../src/provider/kubelet/serving-cert.ts';
import type { Pod } from '../src/kube/wire.ts';
import type { KubeletBackend } from '../src/provider/kubelet/backend.ts';
import { openSpdyRemoteCommand, REMOTE_COMMAND_SPDY_PROTOCOLS } from '../src/streams/spdy/remote-command.ts';
import { dialSpdy } from '../src/streams/spdy/upgrade.ts';
import { openWebSocketRemoteCommand } from '../src/streams/websocket-remote-command.ts';
import { localProcessBackend, processClient } from '../e2e/support/test-kubelet.ts';
import { randomSubnet, startMockCci } from '../e2e/support/burst-node.ts';
import { CciClient } from '../src/cci/client.ts';
import { cciKubeletBackend } from '../src/cci-provider/kubelet-backend.ts';
import { cciPodName } from '../src/cci-provider/naming.ts';

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

// The client's kubelets: [0] runs commands as local processes, [1] in the mock CCI's pod.
const bases = process.argv.slice(3);
const tls = { rejectUnauthorized: false };
const produce = ['head', '-c', String(SIZE_MIB << 20), '/dev/zero'];
const execQuery = (command: readonly string[]): string => `${command.map((c) => `command=${encodeURIComponent(c)}`).join('&')}&output=1&error=1`;

async function spdyExec(command: readonly string[], base: string): Promise<number> {
  const { session, protocol } = await dialSpdy({ url: new URL(`/exec/default/bench/c?${execQuery(command)}`, base), protocols: REMOTE_COMMAND_SPDY_PROTOCOLS, tls });
  const client = await openSpdyRemoteCommand(session, protocol, { stdin: false, stdout: true, stderr: true, tty: false });
  const [bytes] = await Promise.all([count(client.stdout), count(client.stderr), client.result]);
  return bytes;
}

async function wsExec(command: readonly string[], base: string): Promise<number> {
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

type Path = 'local' | 'spdy' | 'ws' | 'spdy-cci' | 'ws-cci';
const runs: Record<Path, (cmd: readonly string[]) => Promise<number>> = {
  local: localExec,
  spdy: (cmd) => spdyExec(cmd, bases[0]!),
  ws: (cmd) => wsExec(cmd, bases[0]!),
  'spdy-cci': (cmd) => spdyExec(cmd, bases[1]!),
  'ws-cci': (cmd) => wsExec(cmd, bases[1]!),
};
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

async function kubelet(backend: KubeletBackend): Promise<Awaited<ReturnType<typeof startKubeletServer>>> {
  return startKubeletServer({
    nodeName: 'bench',
    host: '127.0.0.1',
    port: 0,
    tls: await selfSignedServingCert('bench', ['127.0.0.1']),
    auth: new KubeletAuth({ anonymous: true, webhookTokens: false, reviews: { tokenReview: async () => null, subjectAccessReview: async () => true } }),
    backend,
  });
}

/** The mock CCI with the bench pod running in it (process runtime, the lightest). */
async function cciBackend(): Promise<{ backend: KubeletBackend; stop: () => Promise<void> }> {
  const mock = await startMockCci({ subnet: randomSubnet() });
  const cci = new CciClient({ endpoint: mock.url, token: mock.token, namespace: mock.namespace, timeoutMs: 30_000 });
  const { namespace, name, uid } = POD.metadata as { namespace: string; name: string; uid: string };
  await cci.createPod({
    apiVersion: 'cci/v2', kind: 'Pod', metadata: { name: cciPodName(namespace, name, uid) },
    spec: { restartPolicy: 'Always', hostname: name, dnsConfig: { nameservers: [], searches: [], options: [] }, containers: [{ name: 'c', image: 'busybox', command: ['sleep', 'infinity'] }] },
  });
  for (let i = 0; ; i++) {
    const pods = await mock.pods();
    if (pods[0]?.status?.phase === 'Running') break;
    if (i > 200) throw new Error('the bench pod never ran on the mock CCI');
    await new Promise((r) => setTimeout(r, 50));
  }
  return { backend: cciKubeletBackend(cci, { pods: () => [POD], findPod: (ns, n) => (ns === namespace && n === name ? POD : undefined) }), stop: () => mock.stop() };
}

async function benchMain(): Promise<void> {
  const server = await kubelet(localProcessBackend(POD));
  const cci = await cciBackend();
  const cciServer = await kubelet(cci.backend);
  const client = fork(import.meta.filename, ['client', `https://127.0.0.1:${server.port}`, `https://127.0.0.1:${cciServer.port}`], { stdio: 'inherit' });
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
      ['kubelet API → mock CCI, SPDY', 'spdy-cci'],
      ['kubelet API → mock CCI, WebSocket', 'ws-cci'],
    ];
    const rates: number[][] = paths.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, [, path]] of paths.entries()) rates[i]!.push(await ask({ path, what: 'throughput' }));
    }
    const [local, spdy, ws, spdyCci, wsCci] = rates.map(median) as [number, number, number, number, number];
    for (const [i, [name]] of paths.entries()) {
      console.log(`${name.padEnd(34)} ${median(rates[i]!).toFixed(0).padStart(6)} MiB/s  [${rates[i]!.map((r) => r.toFixed(0)).join(' ')}]`);
    }
    const pct = (r: number): string => `${((r / local) * 100).toFixed(0)}%`;
    console.log(`of the local pipe: SPDY ${pct(spdy)}, WebSocket ${pct(ws)}; through the mock CCI ${pct(spdyCci)} and ${pct(wsCci)} (target: 200 MiB/s)`);
    console.log('\nexec round trip: `echo hi`');
    const ms: Record<Path, number> = { local: 0, spdy: 0, ws: 0, 'spdy-cci': 0, 'ws-cci': 0 };
    for (const [name, path] of paths) {
      ms[path] = await ask({ path, what: 'latency' });
      console.log(`${name.padEnd(34)} ${ms[path].toFixed(1).padStart(6)} ms per exec (${EXECS} sequential)`);
    }
    console.log(`burstlet's own overhead per exec: SPDY ${(ms.spdy - ms.local).toFixed(1)} ms, WebSocket ${(ms.ws - ms.local).toFixed(1)} ms (target < 50 ms)`);
  } finally {
    client.kill();
    await server.close();
    await cciServer.close();
    await cci.stop();
  }
}

if (process.argv[2] === 'client') clientMain();
else await benchMain();

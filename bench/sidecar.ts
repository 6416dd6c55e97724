// The networking sidecar's data plane and the service directory, measured on loopback:
//  - TCP throughput each way and 1 KiB request/response latency: direct, via `burstlet sidecar` in
//    each --proxy-mode (nftables: DNAT in the kernel; userspace: its own listeners), via HAProxy
//    (one thread, mode tcp) doing the same forwarding; medians of 5 rounds;
//  - UDP DNS-sized queries per second: direct and via the sidecar in each mode;
//  - directory propagation from one change to 1,000 connected sidecar WebSockets (ws and wss), and
//    the directory process's memory per connected sidecar (the slope from 1,000 to 3,000).
// Every path runs in its own process (client here, server and proxies as children).
// Usage: node bench/sidecar.ts   (as root: it runs itself in a network namespace of its own;
// the `in-netns`, `server` and `directory` arguments are its children)
import { execFileSync, fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { BUILT_MAIN } from '../src/program/entry.ts';
import { PROXY_MODES, type ProxyMode } from '../src/network/sidecar-injection.ts';
import { ask, cpuMs, download, fmt, latencies, pct, rssKiB, udpQps, until, upload } from './support/net-measure.ts';
import { createLogger } from '../src/log/logger.ts';
import { newNodeSecret, podCredential, activePodCredentials } from '../src/network/service-directory/credentials.ts';
import { startStandaloneDirectory } from '../src/network/service-directory/server.ts';
import { DirectoryState } from '../src/network/service-directory/state.ts';
import { directoryHeaders, type DirSlice } from '../src/network/service-directory/protocol.ts';
import { MAC_BYTES, newNonce, PROOF_SCHEME, upgradeProof } from '../src/network/service-directory/directory-auth.ts';

const CLUSTER_IP = '127.77.0.10';
const SIDECAR_TCP = 18080;
const SIDECAR_UDP = 18053;
const HAPROXY_PORT = 18081;
const SIDECARS = 1000;
/** Rounds of the TCP measurements (the goal is on the median of 5). */
const ROUNDS = 5;
const log = createLogger('silent', 'bench');

// ---- children ---------------------------------------------------------------------------

/** Echo servers: TCP (echo, and a sink on port+1 that counts) and UDP echo. */
async function serverMain(): Promise<void> {
  // A path that resets a connection fails its measurement in the client, not this process.
  const quiet = (s: net.Socket): void => void s.on('error', () => {});
  const echo = net.createServer({ noDelay: true }, (s) => {
    quiet(s);
    s.pipe(s);
  });
  const sink = net.createServer((s) => {
    quiet(s);
    s.on('data', () => {});
    s.on('end', () => s.end('done'));
  });
  // A source on port+2: the first 8 bytes a client sends say how many bytes to send it back.
  const source = net.createServer((s) => {
    quiet(s);
    s.once('data', (d) => {
      let left = Number(d.readBigUInt64BE(0));
      const chunk = Buffer.alloc(256 * 1024);
      const pump = (): void => {
        while (left > 0) {
          left -= chunk.length;
          if (!s.write(chunk)) return void s.once('drain', pump);
        }
        s.end();
      };
      pump();
    });
  });
  const udp = dgram.createSocket('udp4');
  udp.on('message', (m, r) => udp.send(m, r.port, r.address));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => sink.listen((echo.address() as net.AddressInfo).port + 1, '127.0.0.1', r));
  await new Promise<void>((r) => source.listen((echo.address() as net.AddressInfo).port + 2, '127.0.0.1', r));
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  process.send!({ tcp: (echo.address() as net.AddressInfo).port, udp: udp.address().port });
}

function benchSlice(i: number, generation: number): DirSlice {
  return {
    namespace: `ns-${i % 10}`, name: `svc-${i}-x`, serviceName: `svc-${i}`, addressType: 'IPv4',
    endpoints: [0, 1, 2].map((k) => ({ address: `198.18.${(i + generation) % 200}.${10 + k}`, ready: true, serving: true, terminating: false })),
    ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
  };
}

/** The directory (wss) with 200 Services, driven over IPC: memory readings and timed changes. */
async function directoryMain(): Promise<void> {
  const [secretHex, keyFile, certFile] = process.argv.slice(3);
  const state = new DirectoryState();
  for (let i = 0; i < 200; i++) {
    state.setService(`ns-${i % 10}/svc-${i}`, {
      namespace: `ns-${i % 10}`, name: `svc-${i}`, clusterIPs: [`198.19.${i >> 8}.${i & 255}`],
      ports: [{ name: 'http', protocol: 'TCP', port: 80 }], affinitySeconds: null,
    });
    state.setSlice(`ns-${i % 10}/svc-${i}-x`, benchSlice(i, 0));
  }
  state.markSynced();
  const dir = await startStandaloneDirectory({
    state, log, ...(keyFile && certFile ? { tls: { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') } } : {}),
    credentials: activePodCredentials(Buffer.from(secretHex!, 'hex'), (uid) => uid.startsWith('pod-')),
  });
  let generation = 0;
  process.on('message', (msg: { cmd: string }) => {
    if (msg.cmd === 'mem') {
      globalThis.gc?.();
      const m = process.memoryUsage();
      process.send!({ rss: m.rss, heapTotal: m.heapTotal, heap: m.heapUsed + m.external, connections: dir.directory.connections });
    } else if (msg.cmd === 'change') {
      generation++;
      const t0 = performance.timeOrigin + performance.now();
      state.setSlice('ns-7/svc-7-x', benchSlice(7, generation));
      process.send!({ t0, revision: state.revision });
    } else if (msg.cmd === 'exit') void dir.close().then(() => process.exit(0));
  });
  process.send!({ url: dir.url });
}

async function dataPlane(tmp: string, killList: ChildProcess[]): Promise<void> {
  const server = fork(import.meta.filename, ['server'], { stdio: 'inherit' });
  killList.push(server);
  const ports = await ask<{ tcp: number; udp: number }>(server);

  // The sidecar follows a (plain ws) directory in this process.
  const secret = newNodeSecret();
  const state = new DirectoryState();
  const slice = (name: string, protocol: 'TCP' | 'UDP', port: number): DirSlice => ({
    namespace: 'bench', name: `${name}-1`, serviceName: name, addressType: 'IPv4',
    endpoints: [{ address: '127.0.0.1', ready: true, serving: true, terminating: false }], ports: [{ name: 'p', protocol, port }],
  });
  for (const [name, protocol, port, target] of [
    ['echo', 'TCP', SIDECAR_TCP, ports.tcp], ['sink', 'TCP', SIDECAR_TCP + 1, ports.tcp + 1], ['source', 'TCP', SIDECAR_TCP + 2, ports.tcp + 2],
    ['dns', 'UDP', SIDECAR_UDP, ports.udp],
  ] as const) {
    state.setService(`bench/${name}`, { namespace: 'bench', name, clusterIPs: [CLUSTER_IP], ports: [{ name: 'p', protocol, port }], affinitySeconds: null });
    state.setSlice(`bench/${name}-1`, slice(name, protocol, target));
  }
  state.markSynced();
  const dir = await startStandaloneDirectory({ state, log, credentials: activePodCredentials(secret, (u) => u === 'bench') });
  const healthPort = 18090;
  const startSidecar = async (mode: ProxyMode): Promise<ChildProcess> => {
    const child = spawn(process.execPath, ['--no-warnings', BUILT_MAIN, 'sidecar', `--proxy-mode=${mode}`,
      `--directory-url=${dir.url}`, '--pod-uid=bench', `--health-port=${healthPort}`, '--log-level=warn', '--termination-drain=0s'],
    { stdio: 'inherit', env: { ...process.env, BURSTLET_SIDECAR_CREDENTIAL: podCredential(secret, 'bench') } });
    killList.push(child);
    await until(`the ${mode} sidecar`, async () => (await fetch(`http://127.0.0.1:${healthPort}/`).catch(() => null))?.status === 200);
    return child;
  };

  const cfg = path.join(tmp, 'haproxy.cfg');
  writeFileSync(cfg, [
    'global', '  nbthread 1', '  maxconn 1000',
    'defaults', '  mode tcp', '  timeout connect 5s', '  timeout client 60s', '  timeout server 60s',
    `frontend echo`, `  bind 127.0.0.1:${HAPROXY_PORT}`, '  default_backend echo',
    `frontend sink`, `  bind 127.0.0.1:${HAPROXY_PORT + 1}`, '  default_backend sink',
    `frontend source`, `  bind 127.0.0.1:${HAPROXY_PORT + 2}`, '  default_backend source',
    'backend echo', `  server s1 127.0.0.1:${ports.tcp}`,
    'backend sink', `  server s1 127.0.0.1:${ports.tcp + 1}`,
    'backend source', `  server s1 127.0.0.1:${ports.tcp + 2}`, '',
  ].join('\n'));
  const haproxy = spawn('haproxy', ['-f', cfg, '-db'], { stdio: 'inherit' });
  killList.push(haproxy);
  await until('haproxy', () => new Promise((r) => {
    const s = net.connect(HAPROXY_PORT, '127.0.0.1', () => {
      r(true);
      s.destroy();
    });
    s.on('error', () => r(false));
  }));

  type Path = { name: string; host: string; port: number; pid: number | undefined };
  type Result = { up: number; down: number; p50: number; p99: number; upCpu: number; downCpu: number };
  const bytes = 256 * 1024 * 1024;
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  /** ROUNDS rounds, each path in turn within a round (so drift hits all alike); medians per path. */
  const measure = async (paths: Path[]): Promise<Record<string, Result>> => {
    const runs = new Map<string, Result[]>(paths.map((p) => [p.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const p of paths) {
        // CPU per GiB forwarded does not depend on what else the machine is running, unlike Gbit/s.
        const cpu0 = p.pid ? cpuMs(p.pid) : 0;
        const up = await upload(p.host, p.port + 1, bytes);
        const cpu1 = p.pid ? cpuMs(p.pid) : 0;
        const down = await download(p.host, p.port + 2, bytes);
        const cpu2 = p.pid ? cpuMs(p.pid) : 0;
        runs.get(p.name)!.push({ up, down, p50: 0, p99: 0, upCpu: cpu1 - cpu0, downCpu: cpu2 - cpu1 });
      }
      await latencies(paths, 300); // warm-up
      for (const [k, lat] of (await latencies(paths, 2000)).entries()) Object.assign(runs.get(paths[k]!.name)!.at(-1)!, lat);
    }
    return Object.fromEntries([...runs].map(([name, rs]) => [name, {
      up: median(rs.map((r) => r.up)), down: median(rs.map((r) => r.down)), p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)),
      upCpu: median(rs.map((r) => r.upCpu)), downCpu: median(rs.map((r) => r.downCpu)),
    }]));
  };
  const perGiB = (ms: number): string => fmt(ms / (bytes / 2 ** 30), 0);

  console.log(`TCP, one connection: ${bytes >> 20} MiB upload (client→server) and download (server→client), 1 KiB request/response x 2000 per path (the paths taking turns at each); ` +
    `medians of ${ROUNDS} rounds, the paths taking turns within each round`);
  for (const mode of PROXY_MODES) {
    const sidecar = await startSidecar(mode);
    const results = await measure([
      { name: 'direct', host: '127.0.0.1', port: ports.tcp, pid: undefined },
      { name: `sidecar (${mode})`, host: CLUSTER_IP, port: SIDECAR_TCP, pid: sidecar.pid },
      { name: 'haproxy', host: '127.0.0.1', port: HAPROXY_PORT, pid: haproxy.pid },
    ]);
    for (const [name, r] of Object.entries(results)) {
      const cpu = name === 'direct' ? '' : `   proxy CPU up ${perGiB(r.upCpu)} / down ${perGiB(r.downCpu)} ms/GiB`;
      console.log(`  ${name.padEnd(20)} up ${fmt(r.up, 2)} / down ${fmt(r.down, 2)} Gbit/s   p50 ${fmt(r.p50)} µs   p99 ${fmt(r.p99)} µs${cpu}`);
    }
    const d = results.direct!, x = results[`sidecar (${mode})`]!, h = results.haproxy!;
    console.log(`  ${mode}: sidecar/haproxy throughput up ${fmt(x.up / h.up, 2)}x, down ${fmt(x.down / h.down, 2)}x (goal >= 1.0x); ` +
      `added p50 over direct: sidecar ${fmt(x.p50 - d.p50)} µs, haproxy ${fmt(h.p50 - d.p50)} µs (goal <= 50 µs); sidecar RSS ${fmt(rssKiB(sidecar.pid!) / 1024)} MiB`);
    const direct = await udpQps('127.0.0.1', ports.udp, 2000);
    const via = await udpQps(CLUSTER_IP, SIDECAR_UDP, 2000);
    console.log(`  ${mode}: UDP 40-byte queries, 32 in flight: direct ${fmt(direct, 0)}/s, via sidecar ${fmt(via, 0)}/s (${fmt(via / direct, 2)}x, goal >= 0.8x)`);
    const exited = new Promise((r) => sidecar.once('exit', r));
    sidecar.kill('SIGTERM');
    await exited;
  }
  for (const c of [haproxy, server]) c.kill('SIGTERM');
  await dir.close();
}

async function directory(tmp: string, killList: ChildProcess[], tls: boolean): Promise<void> {
  const tlsFiles = tls ? [path.join(tmp, 'key.pem'), path.join(tmp, 'cert.pem')] : [];
  if (tls) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=burstlet', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', tlsFiles[0]!, '-out', tlsFiles[1]!], { stdio: 'ignore' });
  }
  const secret = newNodeSecret();
  const child = fork(import.meta.filename, ['directory', secret.toString('hex'), ...tlsFiles],
    { stdio: 'inherit', execArgv: ['--expose-gc', '--no-warnings'] });
  killList.push(child);
  const { url } = await ask<{ url: string }>(child);
  const ca = tls ? readFileSync(tlsFiles[1]!, 'utf8') : undefined;
  type Mem = { rss: number; heapTotal: number; heap: number; connections: number };
  const before = await ask<Mem>(child, { cmd: 'mem' });

  const arrivals = new Map<number, number[]>();
  let snapshots = 0;
  /** Connects sidecars pod-<from>… 50 at a time; resolves once each has its snapshot. */
  const connect = async (from: number, count: number): Promise<WebSocket[]> => {
    const sockets: WebSocket[] = [];
    for (let i = from; i < from + count; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, from + count - i) }, (_, k) => new Promise<void>((resolve, reject) => {
        const uid = `pod-${i + k}`;
        const clientNonce = newNonce();
        const proof = upgradeProof(podCredential(secret, uid), { podUid: uid, clientNonce, resumeFrom: '' });
        const ws = new WebSocket(url, {
          ...(ca ? { ca } : {}), perMessageDeflate: false,
          headers: { authorization: `${PROOF_SCHEME} ${proof}`, [directoryHeaders.podUid]: uid, [directoryHeaders.clientNonce]: clientNonce },
        });
        ws.on('message', (data: Buffer) => {
          const at = performance.timeOrigin + performance.now();
          // The revision is in the first bytes after the MAC; checking the MAC and a full parse are
          // the sidecar's costs, not the directory's.
          const m = /"type":"(\w+)","epoch":"\w+","revision":(\d+)/.exec(data.subarray(MAC_BYTES, MAC_BYTES + 80).toString());
          if (m?.[1] === 'snapshot') {
            snapshots++;
            resolve();
          } else if (m) {
            const rev = Number(m[2]);
            arrivals.set(rev, [...(arrivals.get(rev) ?? []), at]);
          }
        });
        ws.once('error', reject);
        sockets.push(ws);
      })));
    }
    await new Promise((r) => setTimeout(r, 1000)); // let snapshot writes drain
    return sockets;
  };
  // The cost of one more sidecar is the slope over 2 x SIDECARS more connections: the first ones
  // also pay one-time costs (code paged in, V8's and malloc's first growth), and memory they
  // freed is reused by the next ones, which a single batch after them would count as free.
  const clients = await connect(0, SIDECARS);
  const middle = await ask<Mem>(child, { cmd: 'mem' });
  const extra = [...await connect(SIDECARS, SIDECARS), ...await connect(2 * SIDECARS, SIDECARS)];
  const after = await ask<Mem>(child, { cmd: 'mem' });
  const slope = (k: keyof Mem): string => fmt((after[k] - middle[k]) / extra.length / 1024);
  console.log(`Service directory over ${tls ? 'wss (--service-directory-tls)' : 'plain ws, every message authenticated (the default)'}, 200 Services, ${after.connections} connected sidecars (${snapshots} snapshots received)`);
  console.log(`  memory per connected sidecar (from ${SIDECARS} to ${after.connections}): live JS objects+buffers ${slope('heap')} KiB, ` +
    `V8 heap reserved ${slope('heapTotal')} KiB, process RSS ${slope('rss')} KiB (target < 20 KiB); ` +
    `the first ${SIDECARS} with the one-time costs: ${fmt((middle.rss - before.rss) / SIDECARS / 1024)} KiB RSS each`);
  for (const ws of extra) ws.terminate();
  await until(`the directory to see ${SIDECARS} sidecars again`, async () => (await ask<Mem>(child, { cmd: 'mem' })).connections === SIDECARS);

  const latencies: number[] = [];
  const perChange: number[] = [];
  for (let c = 0; c < 10; c++) {
    const { t0, revision } = await ask<{ t0: number; revision: number }>(child, { cmd: 'change' });
    await until('every sidecar to get the change', async () => (arrivals.get(revision)?.length ?? 0) >= SIDECARS);
    const ms = arrivals.get(revision)!.map((at) => at - t0);
    latencies.push(...ms);
    perChange.push(Math.max(...ms));
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log(`  propagation of an EndpointSlice change to all ${SIDECARS} (10 changes): p50 ${fmt(latencies.sort((a, b) => a - b)[latencies.length >> 1]!)} ms, p99 ${fmt(pct(latencies))} ms, worst last-arrival ${fmt(Math.max(...perChange))} ms (target p99 < 500 ms)`);
  for (const ws of clients) ws.terminate();
  child.send({ cmd: 'exit' });
}

async function benchMain(): Promise<void> {
  const tmp = mkdtempSync(path.join(tmpdir(), 'bl-bench-'));
  const killList: ChildProcess[] = [];
  try {
    await dataPlane(tmp, killList);
    await directory(tmp, killList, false);
    await directory(tmp, killList, true);
  } finally {
    for (const c of killList) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The sidecar adds addresses to `lo` and an nftables table where it runs: the whole benchmark
 * runs in a network namespace of its own (loopback only), deleted afterwards with all of it.
 */
function inOwnNetns(): number {
  const ns = `bl-bench-${process.pid.toString(36)}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    const child = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '--no-warnings', import.meta.filename, 'in-netns'], { stdio: 'inherit' });
    return child.status ?? 1;
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}

const mode = process.argv[2];
if (mode === 'server') await serverMain();
else if (mode === 'directory') await directoryMain();
else if (mode === 'in-netns') await benchMain();
else process.exitCode = inOwnNetns();

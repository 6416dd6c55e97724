// The local API server under load, over HTTPS with a client certificate, like controllers use it.
// The server runs in its own process (as `burstlet local` does); this process is the clients.
//  - creates and updates per second for 1,000 pods (64 requests in flight);
//  - watch fan-out: latency from each write to its event at 10 concurrent pod watchers;
//  - comparison points in the same run: a bare fastify HTTPS echo server, also in its own
//    process with the same certificates, answering the same number of small POSTs; and the
//    registry (storage and semantics) driven directly, without HTTP.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import Fastify from 'fastify';
import { Agent, request } from 'undici';
import { startApiServer } from '../src/local/apiserver/index.ts';
import { Registry } from '../src/local/apiserver/registry.ts';
import { findResource } from '../src/local/apiserver/resources.ts';
import { ServiceIpAllocator } from '../src/local/apiserver/service-ips.ts';
import { ObjectStore } from '../src/local/apiserver/store.ts';

const PODS = 1000;
const IN_FLIGHT = 64;
const WATCHERS = 10;

// Child roles: print the URL once listening, run until stdin closes.
if (process.argv[2] === 'api' || process.argv[2] === 'echo') {
  const stateDir = process.argv[3]!;
  let url: string;
  if (process.argv[2] === 'api') url = (await startApiServer({ stateDir, port: 0 })).url;
  else {
    const pem = (f: string) => readFileSync(join(stateDir, f), 'utf8');
    const echo = Fastify({ https: { key: pem('apiserver-key.pem'), cert: pem('apiserver.pem'), ca: pem('ca.pem'), requestCert: true, rejectUnauthorized: false } });
    echo.post('/echo', async (req, reply) => reply.code(201).header('content-type', 'application/json').send(JSON.stringify(req.body)));
    url = await echo.listen({ host: '127.0.0.1', port: 0 });
  }
  console.log(url);
  // Each line on stdin asks for the CPU time used so far (ms); end of stdin stops the server.
  createInterface({ input: process.stdin }).on('line', () => {
    const { user, system } = process.cpuUsage();
    console.log(((user + system) / 1000).toFixed(1));
  });
  process.stdin.on('end', () => process.exit(0));
} else {
  await main();
}

interface Child {
  url: string;
  /** CPU time (user + system, ms) the child has used so far. */
  cpu(): Promise<number>;
  stop(): void;
}

async function startChild(role: 'api' | 'echo', stateDir: string): Promise<Child> {
  const child = spawn(process.execPath, [import.meta.filename, role, stateDir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const next = () => new Promise<string>((resolve) => waiting.push(resolve));
  const url = await Promise.race([
    next(),
    new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`${role} server exited with ${code}`)))),
  ]);
  return {
    url,
    cpu: async () => {
      const answer = next();
      child.stdin.write('cpu\n');
      return Number(await answer);
    },
    stop: () => child.stdin.end(),
  };
}

async function main(): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'bl-bench-api-'));
  try {
    const api = await startChild('api', stateDir);
    const pem = (f: string) => readFileSync(join(stateDir, f), 'utf8');
    const tls = { ca: pem('ca.pem'), cert: pem('admin.pem'), key: pem('admin-key.pem') };
    const agent = new Agent({ connect: tls, connections: IN_FLIGHT });

    const run = async (n: number, one: (i: number) => Promise<void>): Promise<number> => {
      let next = 0;
      const started = performance.now();
      await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
        while (next < n) await one(next++);
      }));
      return n / ((performance.now() - started) / 1000);
    };
    const send = async (base: string, method: 'POST' | 'PATCH' | 'GET', path: string, body?: unknown, contentType = 'application/json'): Promise<void> => {
      const res = await request(`${base}${path}`, { method, dispatcher: agent, headers: { 'content-type': contentType }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.body.text();
      if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${text}`);
    };

    // Warm up: open every connection (TLS handshakes) before anything is timed.
    await run(IN_FLIGHT * 4, () => send(api.url, 'GET', '/api/v1/namespaces/default/configmaps'));
    await send(api.url, 'POST', '/api/v1/namespaces', { metadata: { name: 'unwatched' } });

    const pod = (i: number, prefix = 'p') => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `${prefix}${i}`, labels: { app: 'bench' } }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    let cpu0 = await api.cpu();
    const unwatchedCreates = await run(PODS, (i) => send(api.url, 'POST', '/api/v1/namespaces/unwatched/pods', pod(i)));
    const unwatchedCpuMs = (await api.cpu()) - cpu0;

    // Watchers: raw HTTPS streams, timing each event against the moment its write was sent.
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    const watchers = await Promise.all(Array.from({ length: WATCHERS }, () => new Promise<() => void>((resolve, reject) => {
      const req = httpsRequest(new URL(`${api.url}/api/v1/namespaces/default/pods?watch=true`), { ...tls, method: 'GET' }, (res) => {
        let buf = '';
        res.on('data', (d: Buffer) => {
          buf += d.toString();
          for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
            const ev = JSON.parse(buf.slice(0, nl)) as { type: string; object: { metadata: { name: string } } };
            buf = buf.slice(nl + 1);
            const t = sentAt.get(`${ev.object.metadata.name}/${ev.type === 'ADDED' ? 'create' : 'update'}`);
            if (t !== undefined) latencies.push(performance.now() - t);
          }
        });
        resolve(() => req.destroy());
      });
      req.on('error', reject);
      req.end();
    })));

    cpu0 = await api.cpu();
    const creates = await run(PODS, async (i) => {
      sentAt.set(`p${i}/create`, performance.now());
      await send(api.url, 'POST', '/api/v1/namespaces/default/pods', pod(i));
    });
    const updates = await run(PODS, async (i) => {
      sentAt.set(`p${i}/update`, performance.now());
      await send(api.url, 'PATCH', `/api/v1/namespaces/default/pods/p${i}`, { metadata: { labels: { round: '1' } } }, 'application/merge-patch+json');
    });
    const expected = 2 * PODS * WATCHERS;
    const deadline = Date.now() + 10_000;
    while (latencies.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const watchedCpuMs = (await api.cpu()) - cpu0;
    for (const stop of watchers) stop();
    api.stop();

    const echo = await startChild('echo', stateDir);
    await run(IN_FLIGHT * 4, (i) => send(echo.url, 'POST', '/echo', { i }));
    const echoCpu0 = await echo.cpu();
    const echoRate = await run(PODS * 2, (i) => send(echo.url, 'POST', '/echo', pod(i)));
    const echoCpuMs = (await echo.cpu()) - echoCpu0;
    echo.stop();
    await agent.close();

    // The storage and semantics alone, without HTTP, TLS or watchers: what the server could do.
    const registry = new Registry(new ObjectStore(), { ips: new ServiceIpAllocator() });
    registry.create(findResource('', 'v1', 'namespaces')!, '', { metadata: { name: 'default' } });
    const podsDef = findResource('', 'v1', 'pods')!;
    let t0 = performance.now();
    for (let i = 0; i < PODS * 5; i++) registry.create(podsDef, 'default', pod(i));
    const coreCreates = (PODS * 5) / ((performance.now() - t0) / 1000);
    t0 = performance.now();
    for (let i = 0; i < PODS * 5; i++) registry.patch(podsDef, 'default', `p${i}`, 'merge', { metadata: { labels: { round: '1' } } });
    const corePatches = (PODS * 5) / ((performance.now() - t0) / 1000);

    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(1);
    console.log(`pods: ${PODS}, requests in flight: ${IN_FLIGHT}, watchers: ${WATCHERS}; server in its own process`);
    console.log(`creates/s, no watchers:  ${unwatchedCreates.toFixed(0)}`);
    console.log(`creates/s:               ${creates.toFixed(0)}`);
    console.log(`updates/s (merge patch): ${updates.toFixed(0)}`);
    console.log(`watch events delivered:  ${latencies.length}/${expected}`);
    console.log(`write→event latency ms:  p50 ${pct(50)}  p99 ${pct(99)}  max ${pct(100)}`);
    // CPU per request does not depend on how busy the machine is; throughput above does.
    const perCore = (ms: number, n: number) => `${((ms * 1000) / n).toFixed(0)} µs (${((n / ms) * 1000).toFixed(0)}/s per core)`;
    console.log(`server CPU per create, no watchers: ${perCore(unwatchedCpuMs, PODS)}`);
    console.log(`server CPU per write, ${WATCHERS} watchers:   ${perCore(watchedCpuMs, 2 * PODS)}`);
    console.log(`echo server CPU per request:        ${perCore(echoCpuMs, 2 * PODS)}`);
    console.log(`registry alone (no HTTP, in this process): creates/s ${coreCreates.toFixed(0)}, merge patches/s ${corePatches.toFixed(0)}`);
    console.log(`comparison, bare fastify HTTPS echo req/s: ${echoRate.toFixed(0)} (API writes reach ${((100 * (creates + updates)) / 2 / echoRate).toFixed(0)}% of it)`);
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

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
  process.stdin.on('end', () => process.exit(0)).resume();
} else {
  await main();
}

async function startChild(role: 'api' | 'echo', stateDir: string): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, [import.meta.filename, role, stateDir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('exit', (code) => reject(new Error(`${role} server exited with ${code}`)));
  });
  return { url, stop: () => child.stdin.end() };
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
    const unwatchedCreates = await run(PODS, (i) => send(api.url, 'POST', '/api/v1/namespaces/unwatched/pods', pod(i)));

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
    for (const stop of watchers) stop();
    api.stop();

    const echo = await startChild('echo', stateDir);
    await run(IN_FLIGHT * 4, (i) => send(echo.url, 'POST', '/echo', { i }));
    const echoRate = await run(PODS * 2, (i) => send(echo.url, 'POST', '/echo', pod(i)));
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
    for (let i = 0; i < PODS * 5; i++) registry.patch(podsDef, 'default', `p${i}`, 'merge', { metadata: { labels: { round: '1' } } }, undefined);
    const corePatches = (PODS * 5) / ((performance.now() - t0) / 1000);

    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(1);
    console.log(`pods: ${PODS}, requests in flight: ${IN_FLIGHT}, watchers: ${WATCHERS}; server in its own process`);
    console.log(`creates/s, no watchers:  ${unwatchedCreates.toFixed(0)}`);
    console.log(`creates/s:               ${creates.toFixed(0)}`);
    console.log(`updates/s (merge patch): ${updates.toFixed(0)}`);
    console.log(`watch events delivered:  ${latencies.length}/${expected}`);
    console.log(`write→event latency ms:  p50 ${pct(50)}  p99 ${pct(99)}  max ${pct(100)}`);
    console.log(`registry alone (no HTTP, in this process): creates/s ${coreCreates.toFixed(0)}, merge patches/s ${corePatches.toFixed(0)}`);
    console.log(`comparison, bare fastify HTTPS echo req/s: ${echoRate.toFixed(0)} (API writes reach ${((100 * (creates + updates)) / 2 / echoRate).toFixed(0)}% of it)`);
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

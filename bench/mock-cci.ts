// Benchmark: N pods created at once on `burstlet mock-cci --runtime=process` → all Running,
// watched through the CCI client. Comparison point measured in the same run: spawning the
// same N `sleep` processes directly, the floor of any process runtime on this machine.
// Usage: node bench/mock-cci.ts [N]
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CciClient } from '../src/cci/client.ts';
import type { CciPod, CciWatchEvent } from '../src/cci/types.ts';

const N = Number(process.argv[2] ?? 1000);
const main = path.resolve(import.meta.dirname, '../src/cli/main.ts');

async function rawSpawnMs(): Promise<number> {
  const t0 = performance.now();
  const kids = await Promise.all(
    Array.from({ length: N }, () => new Promise<ReturnType<typeof spawn>>((resolve) => {
      const c = spawn('sleep', ['infinity'], { stdio: ['ignore', 'pipe', 'pipe'] });
      c.once('spawn', () => resolve(c));
    })),
  );
  const ms = performance.now() - t0;
  await Promise.all(kids.map((k) => new Promise((r) => { k.once('exit', r); k.kill('SIGKILL'); })));
  return ms;
}

function pod(i: number): CciPod {
  return {
    apiVersion: 'cci/v2',
    kind: 'Pod',
    metadata: { name: `bench-${i}`, annotations: { 'burstlet.io/pod-uid': `uid-${i}` } },
    spec: {
      restartPolicy: 'Always',
      hostname: `bench-${i}`,
      dnsConfig: { nameservers: ['198.19.0.10'], searches: ['default.svc.cluster.local'], options: [{ name: 'ndots', value: '5' }] },
      containers: [{ name: 'app', image: 'busybox', resources: { requests: { cpu: '250m', memory: '512Mi' } } }],
    },
  };
}

const pct = (xs: number[], p: number): number => xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-mock-cci-'));
await writeFile(path.join(dir, 'token'), 'bench-token');
const raw = await rawSpawnMs();
const nodeFlags = (process.env.MOCK_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');
const mock = spawn(process.execPath, [...nodeFlags, main, 'mock-cci', `--token-file=${path.join(dir, 'token')}`, '--runtime=process', '--log-level=warn', `--subnet=198.18.0.0/20`], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((resolve) => mock.stdout.on('data', (d: Buffer) => { const m = /http:\/\/\S+/.exec(d.toString()); if (m) resolve(m[0]); }));
const client = new CciClient({ endpoint: url, token: 'bench-token', namespace: 'default', timeoutMs: 60_000 });
const created = new Map<string, number>();
const running = new Map<string, number>();
const abort = new AbortController();
let peakRss = 0;
const rssTimer = setInterval(() => {
  void readFile(`/proc/${mock.pid}/status`, 'utf8').then((s) => (peakRss = Math.max(peakRss, Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0) * 1024)), () => undefined);
}, 100);
const allRunning = new Promise<void>((resolve) => {
  void client.watchPods('0', (e: CciWatchEvent) => {
    const p = e.object as CciPod;
    if (p.status?.phase === 'Running' && !running.has(p.metadata.name)) {
      running.set(p.metadata.name, performance.now());
      if (running.size === N) resolve();
    }
  }, abort.signal);
});
const t0 = performance.now();
await Promise.all(Array.from({ length: N }, async (_, i) => {
  created.set(`bench-${i}`, performance.now());
  await client.createPod(pod(i));
}));
await allRunning;
const total = performance.now() - t0;
clearInterval(rssTimer);
const lat = [...running].map(([name, t]) => t - created.get(name)!);
console.log(`mock-cci: ${N} pods created at once → all Running in ${total.toFixed(0)} ms`);
console.log(`  create→Running p50 ${pct(lat, 50).toFixed(0)} ms, p99 ${pct(lat, 99).toFixed(0)} ms; mock peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
console.log(`  comparison: spawning ${N} sleep processes directly took ${raw.toFixed(0)} ms`);
abort.abort();
const t1 = performance.now();
await Promise.all(Array.from({ length: N }, (_, i) => client.deletePod(`bench-${i}`, 0)));
while ((await client.listPods()).items.length > 0) await new Promise((r) => setTimeout(r, 100));
console.log(`  deleting all ${N} (grace 0) until gone: ${(performance.now() - t1).toFixed(0)} ms`);
await client.close();
mock.kill('SIGTERM');

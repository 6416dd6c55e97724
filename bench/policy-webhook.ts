// The burst-policy admission webhook under load: 20,000 AdmissionReview v1 requests for a
// realistic Deployment pod (about 3 KB) over keep-alive HTTPS, one at a time (latency) and 16 in
// flight (throughput); a third of them unlabelled (answered without a patch), a third in a
// labelled namespace, a third matched by one of 20 ScheduleProfiles through their ReplicaSet's
// Deployment (1,000 Deployments known).
// Comparison in the same run: an empty admission handler (read the body, parse it, answer
// allowed) on the same kind of server with the same certificate, in its own process too.
import { spawn } from 'node:child_process';
import { createServer } from 'node:https';
import { createInterface } from 'node:readline';
import { Agent, request } from 'undici';
import { createLogger } from '../src/log/logger.ts';
import { governingProfile, type ScheduleProfile } from '../src/policy/profile.ts';
import { startWebhookServer } from '../src/policy/webhook/server.ts';
import { projectWorkload, WorkloadIndex } from '../src/policy/workloads.ts';
import { selfSignedServingCert } from '../src/provider/kubelet/serving-cert.ts';

const REQUESTS = 20_000;
const WARMUP = 2_000;
const DEPLOYMENTS = 1_000;
const LABEL = 'bursting.cci.io/burst-to-cci';

interface Child {
  port: number;
  cpu(): Promise<number>;
  stop(): void;
}

async function startChild(role: 'policy' | 'empty'): Promise<Child> {
  const child = spawn(process.execPath, [import.meta.filename, role], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const next = () => new Promise<string>((resolve) => waiting.push(resolve));
  const port = Number(await next());
  return {
    port,
    async cpu() {
      child.stdin.write('\n');
      return Number(await next());
    },
    stop: () => child.stdin.end(),
  };
}

/** A Deployment's pod as a ReplicaSet creates it: env, volumes, probes, an owner. */
function review(i: number): string {
  const kind = i % 3;
  const d = i % DEPLOYMENTS;
  const namespace = kind === 0 ? 'plain' : kind === 1 ? 'batch' : 'apps';
  const pod = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      generateName: `web-${d}-5d8f-`, namespace,
      labels: { app: `web-${d}`, 'pod-template-hash': '5d8f', tier: 'front' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `web-${d}-5d8f`, uid: `r${d}`, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      containers: [{
        name: 'web', image: 'registry.example/web:1.2.3', ports: [{ containerPort: 8080, name: 'http' }],
        env: Array.from({ length: 20 }, (_, k) => ({ name: `SETTING_${k}`, value: `value-${k}-${'x'.repeat(40)}` })),
        resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
        readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 5 },
        volumeMounts: [{ name: 'config', mountPath: '/etc/web' }, { name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }],
      }],
      volumes: [{ name: 'config', configMap: { name: 'web-config' } }, { name: 'kube-api-access', projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }] } }],
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
    },
  };
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
    request: { uid: `req-${i}`, kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, operation: 'CREATE', namespace, object: pod },
  });
}

interface Result {
  latencies: number[];
  seconds: number;
  patched: number;
}

async function load(port: number, count: number, offset: number, inFlight: number): Promise<Result> {
  const dispatcher = new Agent({ connections: inFlight, pipelining: 1, connect: { rejectUnauthorized: false } });
  const latencies: number[] = [];
  let patched = 0;
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count) {
      const body = review(offset + next++);
      const t = performance.now();
      const res = await request(`https://127.0.0.1:${port}/mutate`, { method: 'POST', dispatcher, headers: { 'content-type': 'application/json' }, body });
      const text = await res.body.text();
      latencies.push(performance.now() - t);
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}: ${text}`);
      if (text.includes('"patch"')) patched++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - started) / 1000;
  await dispatcher.close();
  return { latencies, seconds, patched };
}

const pct = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function measure(role: 'policy' | 'empty', inFlight: number): Promise<Result & { cpuMs: number }> {
  const child = await startChild(role);
  try {
    await load(child.port, WARMUP, 0, inFlight);
    const cpu0 = await child.cpu();
    const r = await load(child.port, REQUESTS, WARMUP, inFlight);
    return { ...r, cpuMs: (await child.cpu()) - cpu0 };
  } finally {
    child.stop();
  }
}

async function main(): Promise<void> {
  console.log(`${REQUESTS} AdmissionReviews (~${(review(1).length / 1024).toFixed(1)} KiB each) per row, keep-alive HTTPS, after ${WARMUP} warm-up; client and server on this machine`);
  console.log('in flight  server             req/s   p50 ms   p90 ms   p99 ms   max ms   server CPU µs/review   patched');
  for (const inFlight of [1, 16]) {
    // Alternate, so that the machine's state drifts over both alike.
    for (const role of ['empty', 'policy', 'empty', 'policy'] as const) {
      const r = await measure(role, inFlight);
      const s = [...r.latencies].sort((a, b) => a - b);
      console.log(
        `${String(inFlight).padStart(9)}  ${(role === 'policy' ? 'burstlet webhook' : 'empty handler').padEnd(16)} ${(REQUESTS / r.seconds).toFixed(0).padStart(6)}  ${pct(s, 0.5).toFixed(2).padStart(7)}  ${pct(s, 0.9).toFixed(2).padStart(7)}  ${pct(s, 0.99).toFixed(2).padStart(7)}  ${s.at(-1)!.toFixed(2).padStart(7)}  ${((r.cpuMs * 1000) / REQUESTS).toFixed(0).padStart(21)}   ${r.patched}`,
      );
    }
  }
}

async function serve(role: 'policy' | 'empty'): Promise<void> {
  const tls = await selfSignedServingCert('webhook', ['127.0.0.1']);
  let port: number;
  if (role === 'policy') {
    const index = new WorkloadIndex();
    for (let i = 0; i < DEPLOYMENTS; i++) {
      index.set(projectWorkload('Deployment', { metadata: { namespace: 'apps', name: `web-${i}`, uid: `d${i}`, labels: { app: `web-${i}`, team: `t${i % 20}` } } }), undefined);
      index.set(projectWorkload('ReplicaSet', { metadata: { namespace: 'apps', name: `web-${i}-5d8f`, uid: `r${i}`, labels: { app: `web-${i}` }, ownerReferences: [{ kind: 'Deployment', name: `web-${i}`, uid: `d${i}`, controller: true }] } }), undefined);
    }
    const profiles: ScheduleProfile[] = Array.from({ length: 20 }, (_, i) => ({
      metadata: { namespace: 'apps', name: `p${i}`, creationTimestamp: `2026-01-01T00:00:${String(i).padStart(2, '0')}Z` },
      spec: { objectLabels: { matchLabels: { team: `t${i}` } }, strategy: 'localPrefer', location: { local: { maxNum: 2 } } },
    }));
    const namespaces: Record<string, Record<string, string>> = { apps: {}, batch: { [LABEL]: 'localPrefer' }, plain: {} };
    const server = await startWebhookServer({
      port: 0, host: '127.0.0.1', tls, log: createLogger('silent', 'bench'),
      context: {
        namespaceLabels: (ns) => namespaces[ns],
        namespaceNetwork: () => undefined,
        governingProfile: (ns, labels) => governingProfile(profiles, ns, labels),
        resolveWorkload: (pod) => index.resolve(pod, async () => undefined),
        taints: [{ key: 'virtual-kubelet.io/provider', value: 'cci', effect: 'NoSchedule' }],
      },
    });
    port = server.port;
  } else {
    const server = createServer({ cert: tls.certPem, key: tls.keyPem, keepAliveTimeout: 30_000 }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const review = JSON.parse(Buffer.concat(chunks).toString()) as { request: { uid: string } };
        const body = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  }
  console.log(port);
  createInterface({ input: process.stdin }).on('line', () => {
    const { user, system } = process.cpuUsage();
    console.log(((user + system) / 1000).toFixed(1));
  });
  process.stdin.on('end', () => process.exit(0));
}

// Child roles serve and print their port; the parent measures.
if (process.argv[2] === 'policy' || process.argv[2] === 'empty') await serve(process.argv[2]);
else await main();

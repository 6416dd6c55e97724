// `burstlet mock-cci` and `burstlet node` as child processes for e2e tests and benchmarks, and
// a direct reader of the mock's pods (what "the backend runs").
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CciPod, CciPodList } from '../../src/cci/types.ts';
import { startBurstlet, type BurstletProcess } from '../../src/local/child.ts';
import { MOCK_ADMIN_PREFIX } from '../../src/mock-cci/server.ts';
import { freePort } from '../../src/local/free-port.ts';

/** A burstlet child process (see src/local/child.ts). */
export type Proc = BurstletProcess;

function startProc(args: string[], ready: RegExp, timeoutMs: number, nodeFlags: string[] = [], entry?: string): Promise<{ proc: Proc; match: RegExpExecArray }> {
  return startBurstlet(args, { ready, timeoutMs, nodeFlags, ...(entry ? { entry } : {}) });
}

export interface MockCci extends Proc {
  url: string;
  tokenFile: string;
  namespace: string;
  /** The mock's pods, straight from its API. */
  pods(): Promise<CciPod[]>;
  token: string;
  /** Deletes a pod straight on the mock (grace 0), behind burstlet's back. */
  deletePod(name: string): Promise<void>;
  /** Fails (Unavailable) or heals (Active) one of the mock's Networks, as an AZ outage would. */
  setNetworkPhase(name: string, phase: 'Active' | 'Unavailable'): Promise<void>;
}

/** A random /24 in 198.18.0.0/15 away from the ranges the local environment uses. */
export function randomSubnet(): string {
  return `198.18.${40 + Math.floor(Math.random() * 200)}.0/24`;
}

/** `token` reuses a token (a restarted mock that clients must still accept). */
export async function startMockCci(opts: { subnet: string; args?: string[]; token?: string }): Promise<MockCci> {
  const dir = mkdtempSync(join(tmpdir(), 'bl-cci-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${opts.token ?? `e2e-${Math.random().toString(36).slice(2)}`}\n`, { mode: 0o600 });
  const token = (await import('node:fs')).readFileSync(tokenFile, 'utf8').trim();
  const { proc, match } = await startProc(
    ['mock-cci', '--port=0', `--token-file=${tokenFile}`, `--subnet=${opts.subnet}`, '--runtime=process', '--log-level=warn', ...(opts.args ?? [])],
    /ready at (http\S+)/,
    30_000,
  );
  const url = match[1]!;
  return {
    ...proc,
    url,
    tokenFile,
    token,
    namespace: 'default',
    async pods() {
      const res = await fetch(`${url}/apis/cci/v2/namespaces/default/pods`, { headers: { 'x-auth-token': token } });
      if (!res.ok) throw new Error(`mock-cci list: ${res.status} ${await res.text()}`);
      return ((await res.json()) as CciPodList).items;
    },
    async deletePod(name) {
      const res = await fetch(`${url}/apis/cci/v2/namespaces/default/pods/${name}?gracePeriodSeconds=0`, { method: 'DELETE', headers: { 'x-auth-token': token } });
      if (!res.ok) throw new Error(`mock-cci delete ${name}: ${res.status} ${await res.text()}`);
    },
    async setNetworkPhase(name, phase) {
      const res = await fetch(`${url}${MOCK_ADMIN_PREFIX}/namespaces/default/networks/${name}/phase`, {
        method: 'PUT', headers: { 'x-auth-token': token, 'content-type': 'application/json' }, body: JSON.stringify({ phase }),
      });
      if (!res.ok) throw new Error(`mock-cci network ${name} phase: ${res.status} ${await res.text()}`);
    },
    async stop(graceMs) {
      await proc.stop(graceMs);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface BurstNode extends Proc {
  name: string;
  metricsUrl: string;
  /** The node's metrics, as text. */
  metrics(): Promise<string>;
}

/**
 * `clientCaFile`: the CA of the API server's kubelet client (the local cluster's ca.pem), so
 * that kubectl logs/exec through the API server reach the node's kubelet API.
 */
export async function startBurstNode(opts: { kubeconfig: string; cci: MockCci; name: string; clientCaFile?: string; args?: string[]; nodeFlags?: string[]; entry?: string }): Promise<BurstNode> {
  const kubeletPort = await freePort();
  const { proc, match } = await startProc(
    [
      'node',
      `--nodename=${opts.name}`,
      `--kubeconfig=${opts.kubeconfig}`,
      `--cci-endpoint=${opts.cci.url}`,
      `--cci-token-file=${opts.cci.tokenFile}`,
      '--metrics-addr=127.0.0.1:0',
      '--address=127.0.0.1',
      `--port=${kubeletPort}`,
      ...(opts.clientCaFile ? [`--client-ca-file=${opts.clientCaFile}`] : []),
      '--log-level=warn',
      ...(opts.args ?? []),
    ],
    /metrics=(http\S+)/,
    30_000,
    opts.nodeFlags,
    opts.entry,
  );
  const metricsUrl = match[1]!;
  return {
    ...proc,
    name: opts.name,
    metricsUrl,
    async metrics() {
      return (await fetch(metricsUrl)).text();
    },
  };
}

/** The sum of a Prometheus counter's samples whose labels match every given pair. */
export function counterSum(text: string, name: string, labels: Record<string, string | RegExp> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[^{ ]+(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const got = Object.fromEntries([...(m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!]));
    const ok = Object.entries(labels).every(([k, v]) => (typeof v === 'string' ? got[k] === v : v.test(got[k] ?? '')));
    if (ok) sum += Number(m[2]);
  }
  return sum;
}

// --cluster-dns as an operator sets it: `burstlet node` runs with exactly the container args of
// the Deployment in manifests/ (only what points at the local environment is replaced or
// added), and burst pods' /etc/resolv.conf, read with `kubectl exec`, is what a kubelet writes.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeIsolated, isolatedRuntime } from './support/isolated.ts';
import { parseAllDocuments } from 'yaml';
import { randomSubnet, startMockCci, type MockCci } from './support/burst-node.ts';
import { gatewayOf } from '../src/local/nodes.ts';
import { startLocalCluster, type LocalCluster } from './support/local-cluster.ts';
import { burstPod, sleeper } from './support/pods.ts';
import { waitFor } from './support/poll.ts';
import { freePort } from '../src/local/free-port.ts';

const MAIN = resolve(import.meta.dirname, '../src/cli/main.ts');
const isolated = isolatedRuntime.ok;

interface Deployment {
  kind: string;
  spec: { template: { spec: { containers: { name: string; args: string[] }[] } } };
}

/**
 * The virtual kubelet container's args in manifests/deployment.yaml, with $(POD_IP) expanded as
 * the kubelet would: here the pod IP is the local node's address, 127.0.0.1.
 */
function manifestArgs(): string[] {
  const docs = parseAllDocuments(readFileSync(resolve(import.meta.dirname, '../manifests/deployment.yaml'), 'utf8')).map((d) => d.toJS() as Deployment);
  const deployment = docs.find((d) => d.kind === 'Deployment');
  if (!deployment) throw new Error('manifests/deployment.yaml has no Deployment');
  return deployment.spec.template.spec.containers[0]!.args.map((a) => a.replaceAll('$(POD_IP)', '127.0.0.1'));
}

function flagValue(args: readonly string[], name: string): string | undefined {
  return args.findLast((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

/** `args` with every --name=… dropped and --name=value appended (list flags such as --cluster-dns add up when repeated). */
function withFlag(args: readonly string[], name: string, value: string): string[] {
  return [...args.filter((a) => !a.startsWith(`--${name}=`) && a !== `--${name}`), `--${name}=${value}`];
}

const ARGS = manifestArgs();
const NODE = flagValue(ARGS, 'nodename')!;
const MANIFEST_DNS = flagValue(ARGS, 'cluster-dns')!;
const NEW_DNS = '198.19.0.53';

let cluster: LocalCluster;
let cci: MockCci;
let subnet: string;
let node: { stop(): Promise<void> } | undefined;

interface Exit {
  code: number | null;
  stderr: string;
}

/** `burstlet node` with the manifest's args pointed at the local environment; resolves once it runs (or rejects with its exit). */
async function startNode(args: readonly string[]): Promise<{ stop(): Promise<void> }> {
  let local = withFlag(args, 'kubeconfig', cluster.kubeconfig);
  local = withFlag(local, 'cci-endpoint', cci.url);
  local = withFlag(local, 'cci-token-file', cci.tokenFile);
  local = withFlag(local, 'port', String(await freePort()));
  local = withFlag(local, 'metrics-addr', '127.0.0.1:0');
  // The local API server reaches the kubelet API with a client certificate of its own CA.
  local = withFlag(local, 'client-ca-file', join(cluster.stateDir, 'ca.pem'));
  // Burst pods (in their own network namespaces) reach the node's service directory on their gateway.
  local = withFlag(local, 'service-directory-address', gatewayOf(subnet));
  const child = spawn(process.execPath, [MAIN, 'node', ...local], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolveStart, reject) => {
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (/ running/.test(stdout)) {
        resolveStart({
          async stop() {
            if (child.exitCode !== null) return;
            const exited = new Promise((r) => child.once('exit', r));
            child.kill('SIGTERM');
            await exited;
          },
        });
      }
    });
    child.once('exit', (code) => reject(Object.assign(new Error(`burstlet node exited ${code}: ${stderr}`), { exit: { code, stderr } satisfies Exit })));
  });
}

async function runPod(name: string, dnsConfig?: object): Promise<void> {
  await cluster.kubectl.create(burstPod(name, NODE, [sleeper()], dnsConfig ? { dnsConfig } : {}));
  await expect.poll(() => cluster.kubectl.ok(['get', 'pod', name, '-o', 'jsonpath={.status.phase}']), { timeout: 60_000, message: `${name} Running` }).toBe('Running');
}

async function nameservers(pod: string): Promise<string[]> {
  const text = await cluster.kubectl.ok(['exec', pod, '--', 'cat', '/etc/resolv.conf']);
  return [...text.matchAll(/^nameserver (\S+)$/gm)].map((m) => m[1]!);
}

beforeAll(async () => {
  cluster = await startLocalCluster();
  // The mock serves the CCI namespace the manifest names.
  subnet = randomSubnet();
  cci = await startMockCci({ subnet, args: [`--namespace=${flagValue(ARGS, 'cci-namespace') ?? 'default'}`, ...(isolated ? ['--runtime=isolated'] : [])] });
  node = await startNode(ARGS);
}, 120_000);

afterAll(async () => {
  await node?.stop();
  await cci?.stop();
  await cluster?.stop();
});

describeIsolated('--cluster-dns from the manifest', () => {
  it('the manifest sets a cluster DNS address', () => {
    expect(MANIFEST_DNS).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });

  it('a pod without dnsConfig has the cluster DNS in its first nameserver line', async () => {
    await runPod('dns-plain');
    const text = await cluster.kubectl.ok(['exec', 'dns-plain', '--', 'cat', '/etc/resolv.conf']);
    expect(text.split('\n')[0]).toBe(`nameserver ${MANIFEST_DNS}`);
    expect(text).toMatch(/^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local\b/m);
  });

  it('cluster DNS + 2 dnsConfig nameservers: all 3 applied, no warning', async () => {
    await runPod('dns-two', { nameservers: ['198.18.251.1', '198.18.251.2'] });
    expect(await nameservers('dns-two')).toEqual([MANIFEST_DNS, '198.18.251.1', '198.18.251.2']);
    expect(await cluster.kubectl.ok(['get', 'events', '--field-selector', 'involvedObject.name=dns-two,reason=DNSConfigForming', '-o', 'name'])).toBe('');
  });

  it('cluster DNS + 3 dnsConfig nameservers: the first 3 applied and a Warning DNSConfigForming event', async () => {
    await runPod('dns-three', { nameservers: ['198.18.251.1', '198.18.251.2', '198.18.251.3'] });
    expect(await nameservers('dns-three')).toEqual([MANIFEST_DNS, '198.18.251.1', '198.18.251.2']);
    const events = await waitFor('the DNSConfigForming event', async () => {
      const out = await cluster.kubectl.ok(['get', 'events', '--field-selector', 'involvedObject.name=dns-three', '-o', 'custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message', '--no-headers']);
      return out.includes('DNSConfigForming') ? out : undefined;
    }, { timeoutMs: 15_000 });
    expect(events).toMatch(/^Warning\s+DNSConfigForming\s+.*198\.18\.251\.2/m);
  });

  it('a restart with another --cluster-dns: the old pod keeps its file, a new pod gets the new server', async () => {
    const before = await cluster.kubectl.ok(['exec', 'dns-plain', '--', 'cat', '/etc/resolv.conf']);
    await node!.stop();
    node = await startNode(withFlag(ARGS, 'cluster-dns', NEW_DNS));
    await runPod('dns-after');
    expect((await nameservers('dns-after'))[0]).toBe(NEW_DNS);
    expect(await cluster.kubectl.ok(['exec', 'dns-plain', '--', 'cat', '/etc/resolv.conf'])).toBe(before);
  });

  it('a bad --cluster-dns value exits 2 naming the flag and the accepted form', async () => {
    const err = await startNode(withFlag(ARGS, 'cluster-dns', '198.19.0.300')).then(
      async (started) => {
        await started.stop();
        return new Error('burstlet node started with --cluster-dns=198.19.0.300');
      },
      (e: Error & { exit?: Exit }) => e,
    );
    const exit = (err as Error & { exit?: Exit }).exit;
    expect(exit?.code, err.message).toBe(2);
    expect(exit?.stderr).toContain('--cluster-dns');
    expect(exit?.stderr).toContain('198.19.0.300');
    expect(exit?.stderr).toMatch(/IP address/);
  });
});

// Seed 003's scenario on the real control plane: a "database" that admits clients by IP — a host
// in its own network namespace whose firewall accepts TCP only from the fixed subnet's CIDR. A
// burst pod annotated for the fixed Network (cci.io/network: fixed) connects, and the database sees
// its pod IP (no SNAT on the way); one on the default Network is refused; both still reach a
// cluster Service. Needs the isolated runtime (root, iproute2, nftables).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeIsolated } from './support/isolated.ts';
import { kubernetesMissing, startKubernetesCluster, type KubernetesCluster } from './support/kubernetes-cluster.ts';

const FIXED = '198.18.1.0/24';
const third = 200 + Math.floor(Math.random() * 50);
const HOST_SIDE = `198.18.${third}.1`;
const DB = `198.18.${third}.2`;
const tag = Math.random().toString(36).slice(2, 7);
const NS = `bldb-${tag}`;
const VETH = `bldb${tag}`;

const manifests = `
apiVersion: v1
kind: Namespace
metadata: {name: whitelisted, annotations: {cci.io/network: fixed}}
---
apiVersion: v1
kind: Pod
metadata: {name: ns-client, namespace: whitelisted}
spec:
  tolerations: [{key: virtual-kubelet.io/provider, operator: Exists}]
  nodeSelector: {kubernetes.io/hostname: burstlet-cci}
  containers: [{name: c, image: centos, command: [sleep, infinity]}]
---
apiVersion: v1
kind: Pod
metadata: {name: fixed-client, annotations: {cci.io/network: fixed}}
spec:
  tolerations: [{key: virtual-kubelet.io/provider, operator: Exists}]
  nodeSelector: {kubernetes.io/hostname: burstlet-cci}
  containers: [{name: c, image: centos, command: [sleep, infinity]}]
---
apiVersion: v1
kind: Pod
metadata: {name: default-client}
spec:
  tolerations: [{key: virtual-kubelet.io/provider, operator: Exists}]
  nodeSelector: {kubernetes.io/hostname: burstlet-cci}
  containers: [{name: c, image: centos, command: [sleep, infinity]}]
---
apiVersion: v1
kind: Pod
metadata: {name: cluster-web, labels: {app: cluster-web}}
spec:
  nodeSelector: {kubernetes.io/hostname: cluster-node-1}
  containers: [{name: nginx, image: nginx}]
---
apiVersion: v1
kind: Service
metadata: {name: cluster-web}
spec: {selector: {app: cluster-web}, ports: [{port: 8080, targetPort: 80}]}
`;

const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8' });

describeIsolated('a database that whitelists the fixed subnet (seed 003), on the real control plane', () => {
  let cluster: KubernetesCluster;
  let db: ChildProcess | undefined;

  beforeAll(async () => {
    if (kubernetesMissing) throw new Error(kubernetesMissing);
    // The database host: its own namespace, a /30 to the host, TCP 5432 open to the fixed subnet only.
    sh('ip', ['netns', 'add', NS]);
    sh('ip', ['link', 'add', VETH, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', NS]);
    sh('ip', ['addr', 'add', `${HOST_SIDE}/30`, 'dev', VETH]);
    sh('ip', ['link', 'set', VETH, 'up']);
    sh('ip', ['-n', NS, 'addr', 'add', `${DB}/30`, 'dev', 'eth0']);
    sh('ip', ['-n', NS, 'link', 'set', 'eth0', 'up']);
    sh('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
    sh('ip', ['-n', NS, 'route', 'add', 'default', 'via', HOST_SIDE]);
    // Replies come back through the host: forwarding on this veth only.
    sh('sysctl', ['-qw', `net.ipv4.conf.${VETH}.forwarding=1`]);
    execFileSync('ip', ['netns', 'exec', NS, 'nft', '-f', '-'], {
      input: `table inet whitelist {\n chain input {\n  type filter hook input priority 0; policy accept;\n  tcp dport 5432 ip saddr ${FIXED} accept\n  tcp dport 5432 reject with tcp reset\n }\n}\n`,
    });
    // It answers with the address it sees the client at.
    db = spawn('ip', ['netns', 'exec', NS, process.execPath, '-e',
      `require('http').createServer((q, s) => s.end('client ' + q.socket.remoteAddress)).listen(5432, '${DB}', () => console.log('listening'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      db!.stdout!.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
      db!.once('exit', (code) => reject(new Error(`database exited ${code}`)));
    });
    cluster = await startKubernetesCluster();
    const applied = await cluster.kubectl.run(['apply', '-f', '-'], { stdin: manifests });
    expect(applied.stderr).toBe('');
    const ready = await cluster.kubectl.run(['wait', '--for=condition=Ready', 'pod/fixed-client', 'pod/default-client', 'pod/cluster-web', '--timeout=90s'], { timeoutMs: 100_000 });
    expect(ready.code, ready.stderr).toBe(0);
    const nsReady = await cluster.kubectl.run(['-n', 'whitelisted', 'wait', '--for=condition=Ready', 'pod/ns-client', '--timeout=90s'], { timeoutMs: 100_000 });
    expect(nsReady.code, nsReady.stderr).toBe(0);
  }, 300_000);

  afterAll(async () => {
    db?.kill();
    await cluster?.stop();
    // Deleting the namespace takes the veth pair with it.
    execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
  });

  async function curl(from: string, url: string): Promise<{ code: number; out: string }> {
    const r = await cluster.kubectl.run(['exec', from, '--', 'curl', '-s', '-m', '10', url], { timeoutMs: 30_000 });
    return { code: r.code, out: r.stdout };
  }
  const podIP = async (name: string): Promise<string> => (await cluster.kubectl.ok(['get', 'pod', name, '-o', 'jsonpath={.status.podIP}'])).trim();

  it('the annotated pod has an IP of the fixed subnet, the other one of the default subnet', async () => {
    expect(await podIP('fixed-client')).toMatch(/^198\.18\.1\./);
    expect(await podIP('default-client')).toMatch(/^198\.18\.0\./);
  });

  it('the database admits the pod on the fixed subnet and sees its pod IP (no SNAT)', async () => {
    const r = await curl('fixed-client', `http://${DB}:5432/`);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`client ${await podIP('fixed-client')}`);
  });

  it('a namespace annotated cci.io/network: fixed puts its pods there (the webhook writes the choice on the pod)', async () => {
    const k = cluster.kubectl;
    expect(await k.ok(['-n', 'whitelisted', 'get', 'pod', 'ns-client', '-o', 'jsonpath={.metadata.annotations.cci\\.io/network}'])).toBe('fixed');
    const ip = (await k.ok(['-n', 'whitelisted', 'get', 'pod', 'ns-client', '-o', 'jsonpath={.status.podIP}'])).trim();
    expect(ip).toMatch(/^198\.18\.1\./);
    const r = await k.run(['-n', 'whitelisted', 'exec', 'ns-client', '--', 'curl', '-s', '-m', '10', `http://${DB}:5432/`], { timeoutMs: 30_000 });
    expect(r.stdout).toBe(`client ${ip}`);
  });

  it('the database refuses the pod on the default subnet', async () => {
    const r = await curl('default-client', `http://${DB}:5432/`);
    // curl's 7: connection refused (the firewall's reset).
    expect(r.code).toBe(7);
    expect(r.out).toBe('');
  });

  it('both still reach a cluster Service by its ClusterIP and DNS name', async () => {
    const ip = await cluster.kubectl.ok(['get', 'svc', 'cluster-web', '-o', 'jsonpath={.spec.clusterIP}']);
    for (const pod of ['fixed-client', 'default-client']) {
      for (const url of [`http://${ip}:8080/`, 'http://cluster-web.default.svc.cluster.local:8080/']) {
        const r = await cluster.kubectl.run(['exec', pod, '--', 'curl', '-s', '-m', '10', '-o', '/dev/null', '-w', '%{http_code}', url], { timeoutMs: 30_000 });
        expect(`${pod} ${url} ${r.stdout}`).toBe(`${pod} ${url} 200`);
      }
    }
  });
});

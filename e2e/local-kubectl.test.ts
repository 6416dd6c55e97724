// The real kubectl (1.33, and 1.27 for get/create/apply) against `burstlet local`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster } from './support/local-cluster.ts';

const MANIFEST = `
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
  - name: app
    image: nginx:1.25
    ports: [{containerPort: 80}]
    env: [{name: A, value: "1"}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {a: b}
`;

const NODE = `
apiVersion: v1
kind: Node
metadata:
  name: n1
  labels: {kubernetes.io/role: agent}
`;

let cluster: LocalCluster;

beforeAll(async () => {
  cluster = await startLocalCluster();
});

afterAll(async () => {
  await cluster?.stop();
});

describe('kubectl 1.33', () => {
  it('lists the default namespaces and the kubernetes service', async () => {
    expect(await cluster.kubectl.ok(['get', 'ns', '-o', 'name'])).toBe('namespace/default\nnamespace/kube-node-lease\nnamespace/kube-public\nnamespace/kube-system\n');
    expect(await cluster.kubectl.ok(['get', 'svc', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}'])).toBe('198.19.0.1');
  });

  it('applies a manifest (server-side field validation, no --validate=false) and re-applies it unchanged', async () => {
    expect(await cluster.kubectl.ok(['apply', '-f', '-'], { stdin: MANIFEST })).toBe('pod/web created\nservice/web created\nconfigmap/cfg created\n');
    expect(await cluster.kubectl.ok(['apply', '-f', '-'], { stdin: MANIFEST })).toBe('pod/web unchanged\nservice/web unchanged\nconfigmap/cfg unchanged\n');
    const ip = await cluster.kubectl.ok(['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}']);
    expect(ip).toMatch(/^198\.19\.\d+\.\d+$/);
    expect(['198.19.0.0', '198.19.0.1']).not.toContain(ip);
  });

  it('prints tables for get, wide columns and yaml', async () => {
    const table = await cluster.kubectl.ok(['get', 'pods', '-o', 'wide']);
    expect(table.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/);
    expect(table).toMatch(/web\s+0\/1\s+Pending\s+0/);
    const yaml = await cluster.kubectl.ok(['get', 'pod', 'web', '-o', 'yaml']);
    expect(yaml).toMatch(/uid: [0-9a-f-]{36}/);
    expect(yaml).toMatch(/resourceVersion: "\d+"/);
    expect(yaml).toContain('phase: Pending');
  });

  it('rejects unknown fields and invalid pods with the server messages', async () => {
    const unknown = await cluster.kubectl.run(['create', '-f', '-'], { stdin: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndatta: {a: b}\n' });
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('unknown field "datta"');
    const dns = await cluster.kubectl.run(['create', '-f', '-'], {
      stdin: 'apiVersion: v1\nkind: Pod\nmetadata: {name: dns}\nspec:\n  dnsConfig: {nameservers: [198.18.0.1, 198.18.0.2, 198.18.0.3, 198.18.0.4]}\n  containers: [{name: c, image: x}]\n',
    });
    expect(dns.stderr).toContain('The Pod "dns" is invalid: spec.dnsConfig.nameservers');
    expect(dns.stderr).toContain('must not have more than 3 nameservers');
  });

  it('labels and selects', async () => {
    await cluster.kubectl.ok(['label', 'pod', 'web', 'tier=front']);
    expect(await cluster.kubectl.ok(['get', 'pods', '-l', 'tier in (front,back),app', '-o', 'name'])).toBe('pod/web\n');
    expect(await cluster.kubectl.ok(['get', 'pods', '-l', 'tier!=front', '-o', 'name'])).toBe('');
    expect(await cluster.kubectl.ok(['get', 'pods', '--field-selector', 'status.phase=Pending', '-o', 'name'])).toBe('pod/web\n');
  });

  it('patches with strategic, merge and json patches', async () => {
    await cluster.kubectl.ok(['patch', 'pod', 'web', '--type', 'strategic', '-p', '{"spec":{"containers":[{"name":"app","image":"nginx:1.26"}]}}']);
    await cluster.kubectl.ok(['patch', 'pod', 'web', '--type', 'merge', '-p', '{"metadata":{"annotations":{"note":"x"}}}']);
    await cluster.kubectl.ok(['patch', 'pod', 'web', '--type', 'json', '-p', '[{"op":"replace","path":"/metadata/labels/tier","value":"back"}]']);
    const got = JSON.parse(await cluster.kubectl.ok(['get', 'pod', 'web', '-o', 'json'])) as {
      metadata: { labels: Record<string, string>; annotations: Record<string, string>; generation: number };
      spec: { containers: { image: string; env: { name: string }[] }[] };
    };
    expect(got.spec.containers[0]!.image).toBe('nginx:1.26');
    // Merged by name: the rest of the container is kept.
    expect(got.spec.containers[0]!.env.map((e) => e.name)).toEqual(['A']);
    expect(got.metadata.annotations.note).toBe('x');
    expect(got.metadata.labels.tier).toBe('back');
    const failed = await cluster.kubectl.run(['patch', 'pod', 'web', '--type', 'json', '-p', '[{"op":"test","path":"/metadata/labels/tier","value":"nope"}]']);
    expect(failed.code).not.toBe(0);
  });

  it('waits for a condition set through the status subresource, and get -w sees it', async () => {
    const watcher = cluster.kubectl.spawn(['get', 'pods', '-w', '--output-watch-events']);
    let watched = '';
    watcher.stdout.on('data', (d: Buffer) => (watched += d.toString()));
    // -v=6 logs each request as its response arrives: the watch's means it is registered.
    const waiter = cluster.kubectl.spawn(['wait', '-v=6', '--for=condition=Ready', 'pod/web', '--timeout=30s']);
    let waiterLog = '';
    let waited = '';
    waiter.stderr.on('data', (d: Buffer) => (waiterLog += d.toString()));
    waiter.stdout.on('data', (d: Buffer) => (waited += d.toString()));
    const waiterDone = new Promise((resolve) => waiter.once('close', resolve));
    // Both clients must be watching before the change, however slow the machine is.
    await expect.poll(() => watched, { timeout: 20_000 }).toMatch(/ADDED\s+web/);
    await expect.poll(() => waiterLog, { timeout: 20_000 }).toMatch(/verb="GET" url="[^"]*watch=true[^"]*" status="200/);
    // Spec changes through /status are ignored; status changes through the main resource too.
    await cluster.kubectl.ok(['patch', 'pod', 'web', '--type', 'merge', '-p', '{"status":{"phase":"Failed"}}']);
    expect(await cluster.kubectl.ok(['get', 'pod', 'web', '-o', 'jsonpath={.status.phase}'])).toBe('Pending');
    await cluster.kubectl.ok(['patch', 'pod', 'web', '--subresource=status', '--type', 'merge', '-p', '{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}']);
    await waiterDone;
    expect(waited).toBe('pod/web condition met\n');
    await expect.poll(() => watched, { timeout: 10_000 }).toMatch(/MODIFIED\s+web\s+0\/1\s+Running/);
    watcher.kill();
    expect(watched).toMatch(/ADDED\s+web\s+0\/1\s+Pending/);
    expect(watched).toMatch(/MODIFIED\s+web\s+0\/1\s+Running/);
  });

  it('describes a pod with its events', async () => {
    const uid = await cluster.kubectl.ok(['get', 'pod', 'web', '-o', 'jsonpath={.metadata.uid}']);
    await cluster.kubectl.ok(['create', '-f', '-'], { stdin: `apiVersion: v1\nkind: Event\nmetadata: {name: web.1}\ninvolvedObject: {kind: Pod, name: web, namespace: default, uid: ${uid}}\nreason: Pulled\nmessage: image pulled\ntype: Normal\nsource: {component: kubelet}\n` });
    const out = await cluster.kubectl.ok(['describe', 'pod', 'web']);
    expect(out).toMatch(/Name:\s+web/);
    expect(out).toMatch(/Status:\s+Running/);
    expect(out).toMatch(/Normal\s+Pulled\s+.*image pulled/);
  });

  it('deletes gracefully: a pod on a live node waits for its kubelet, an unbound one goes at once', async () => {
    await cluster.kubectl.ok(['create', '-f', '-'], { stdin: NODE });
    await cluster.kubectl.ok(['run', 'bound', '--image=x', '--overrides={"spec":{"nodeName":"n1","terminationGracePeriodSeconds":60}}']);
    await cluster.kubectl.ok(['delete', 'pod', 'bound', '--wait=false']);
    const meta = JSON.parse(await cluster.kubectl.ok(['get', 'pod', 'bound', '-o', 'jsonpath={.metadata}'])) as { deletionTimestamp?: string; deletionGracePeriodSeconds?: number };
    expect(meta.deletionGracePeriodSeconds).toBe(60);
    expect(meta.deletionTimestamp).toBeDefined();
    expect(await cluster.kubectl.ok(['get', 'pod', 'bound'])).toContain('Terminating');
    // What the kubelet does once the containers are gone: delete with grace 0.
    await cluster.kubectl.ok(['delete', 'pod', 'bound', '--grace-period=0', '--force']);
    expect((await cluster.kubectl.run(['get', 'pod', 'bound'])).stderr).toContain('pods "bound" not found');
    expect(await cluster.kubectl.ok(['delete', 'pod', 'web', '--wait', '--timeout=20s'])).toBe('pod "web" deleted\n');
    expect(await cluster.kubectl.ok(['get', 'pods', '-o', 'name'])).toBe('');
  });

  it('applies server-side, removing what an earlier apply set and this one does not', async () => {
    const cm = (data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {${data}}\n`;
    expect(await cluster.kubectl.ok(['apply', '--server-side', '-f', '-'], { stdin: cm('a: "1", b: "2"') })).toBe('configmap/ssa serverside-applied\n');
    await cluster.kubectl.ok(['apply', '--server-side', '-f', '-'], { stdin: cm('a: "3"') });
    expect(await cluster.kubectl.ok(['get', 'cm', 'ssa', '-o', 'jsonpath={.data}'])).toBe('{"a":"3"}');
  });

  it('creates with the typed generators, which send protobuf bodies', async () => {
    expect(await cluster.kubectl.ok(['create', 'namespace', 'gen'])).toBe('namespace/gen created\n');
    await cluster.kubectl.ok(['-n', 'gen', 'create', 'configmap', 'c', '--from-literal=a=b']);
    await cluster.kubectl.ok(['-n', 'gen', 'create', 'secret', 'generic', 's', '--from-literal=k=v']);
    await cluster.kubectl.ok(['-n', 'gen', 'create', 'serviceaccount', 'robot']);
    await cluster.kubectl.ok(['-n', 'gen', 'create', 'service', 'clusterip', 'svc', '--tcp=80:8080']);
    expect(await cluster.kubectl.ok(['-n', 'gen', 'get', 'cm', 'c', '-o', 'jsonpath={.data.a}'])).toBe('b');
    expect(await cluster.kubectl.ok(['-n', 'gen', 'get', 'secret', 's', '-o', 'jsonpath={.data.k}'])).toBe(Buffer.from('v').toString('base64'));
    expect(await cluster.kubectl.ok(['-n', 'gen', 'get', 'svc', 'svc', '-o', 'jsonpath={.spec.ports[0].targetPort}'])).toBe('8080');
    const token = (await cluster.kubectl.ok(['-n', 'gen', 'create', 'token', 'robot'])).trim();
    // Only the token: a client certificate would take precedence, as in kube-apiserver.
    const asRobot = ['--kubeconfig=/dev/null', `--server=${cluster.url}`, `--certificate-authority=${cluster.stateDir}/ca.pem`, `--token=${token}`];
    expect(await cluster.kubectl.ok([...asRobot, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'])).toBe('system:serviceaccount:gen:robot');
    expect(await cluster.kubectl.ok([...asRobot, 'auth', 'can-i', 'list', 'pods'])).toBe('yes\n');
  });

  it('reports conflicts on stale updates', async () => {
    const cm = await cluster.kubectl.ok(['get', 'cm', 'cfg', '-o', 'json']);
    await cluster.kubectl.ok(['label', 'cm', 'cfg', 'x=y']);
    const stale = await cluster.kubectl.run(['replace', '-f', '-'], { stdin: cm });
    expect(stale.code).not.toBe(0);
    expect(stale.stderr).toContain('the object has been modified');
  });
});

describe('kubectl 1.27', () => {
  it('gets, creates and applies', async () => {
    const created = await cluster.kubectl.run(['create', '-f', '-'], { version: '1.27', stdin: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: old}\ndata: {a: b}\n' });
    expect(created.stderr).toBe('');
    expect(created.stdout).toBe('configmap/old created\n');
    expect((await cluster.kubectl.run(['apply', '-f', '-'], { version: '1.27', stdin: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: old2}\ndata: {a: b}\n' })).stdout).toBe('configmap/old2 created\n');
    const got = await cluster.kubectl.run(['get', 'cm'], { version: '1.27' });
    expect(got.stdout).toMatch(/^NAME\s+DATA\s+AGE/);
    expect(got.stdout).toMatch(/old\s+1\s+/);
  });
});

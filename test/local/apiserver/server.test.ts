// The API server's REST semantics over real HTTPS sockets (in-process server): status codes,
// reasons, pod lifecycle subresources, finalizers, namespaces, auth, tables, extensions.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../../src/local/apiserver/index.ts';

let server: ApiServer;
let stateDir: string;
let admin: Agent;
let anonymous: Agent;

interface Reply {
  status: number;
  body: Record<string, unknown> & { metadata?: Record<string, unknown>; reason?: string; message?: string };
  headers: Record<string, string | string[] | undefined>;
}

async function call(method: string, path: string, body?: unknown, opts: { agent?: Agent; contentType?: string; accept?: string; token?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/json' };
  if (opts.accept) headers.accept = opts.accept;
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const res = await request(`${server.url}${path}`, {
    method: method as 'GET',
    dispatcher: opts.agent ?? admin,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? (JSON.parse(text) as Reply['body']) : {}, headers: res.headers };
}

const pods = '/api/v1/namespaces/default/pods';
const podBody = (name: string, spec: Record<string, unknown> = {}) => ({ metadata: { name }, spec: { containers: [{ name: 'c', image: 'x' }], ...spec } });

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'bl-apiserver-'));
  server = await startApiServer({
    stateDir,
    port: 0,
    extensions: [
      (app, ctx) => {
        app.get('/api/v1/namespaces/:namespace/pods/:name/log', async (req, reply) => {
          const user = ctx.authenticate(req.raw);
          const { name } = req.params as { name: string };
          const allowed = user !== null && ctx.authorize(user, { verb: 'get', resource: 'pods', subresource: 'log', namespace: 'default', name });
          return reply.code(allowed ? 200 : 403).send(`log of ${name} for ${user?.username ?? 'nobody'}`);
        });
      },
    ],
  });
  admin = new Agent({ connect: { ca: server.pki.caPem, cert: server.pki.admin.certPem, key: server.pki.admin.keyPem } });
  anonymous = new Agent({ connect: { ca: server.pki.caPem } });
  await call('POST', '/api/v1/nodes', { metadata: { name: 'n1' } });
});

afterAll(async () => {
  await admin?.close();
  await anonymous?.close();
  await server?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('errors', () => {
  it.each([
    ['anonymous', 'GET', pods, undefined, 401, 'Unauthorized'],
    ['missing object', 'GET', `${pods}/nope`, undefined, 404, 'NotFound'],
    ['missing namespace', 'POST', '/api/v1/namespaces/nope/pods', podBody('x'), 404, 'NotFound'],
    ['invalid pod', 'POST', pods, { metadata: { name: 'x' }, spec: { containers: [] } }, 422, 'Invalid'],
    ['bad selector', 'GET', `${pods}?labelSelector=a%20b%20c`, undefined, 400, 'BadRequest'],
    ['unknown resource', 'GET', '/api/v1/widgets', undefined, 404, 'NotFound'],
    ['protected namespace', 'DELETE', '/api/v1/namespaces/default', undefined, 403, 'Forbidden'],
  ])('%s → %i %s', async (_n, method, path, body, status, reason) => {
    const r = await call(method, path, body, { agent: reason === 'Unauthorized' ? anonymous : admin });
    expect(r.status).toBe(status);
    expect(r.body).toMatchObject({ kind: 'Status', status: 'Failure', reason, code: status });
  });

  it('409 AlreadyExists and Conflict', async () => {
    expect((await call('POST', pods, podBody('dup'))).status).toBe(201);
    expect((await call('POST', pods, podBody('dup'))).body.reason).toBe('AlreadyExists');
    const stale = await call('PUT', `${pods}/dup`, { ...podBody('dup'), metadata: { name: 'dup', resourceVersion: '1' } });
    expect(stale.status).toBe(409);
    expect(stale.body.reason).toBe('Conflict');
  });
});

describe('objects', () => {
  it('generates names, uids, timestamps and increasing resourceVersions', async () => {
    const a = await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { generateName: 'gen-' } });
    const b = await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { generateName: 'gen-' } });
    expect(a.body.metadata!.name).toMatch(/^gen-[a-z0-9]{5}$/);
    expect(a.body.metadata!.uid).not.toBe(b.body.metadata!.uid);
    expect(Number(b.body.metadata!.resourceVersion)).toBeGreaterThan(Number(a.body.metadata!.resourceVersion));
    expect(a.body.metadata!.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('publishes the kubernetes Service with endpoints at the server itself', async () => {
    const port = Number(new URL(server.url).port);
    const svc = (await call('GET', '/api/v1/namespaces/default/services/kubernetes')).body as { spec: { clusterIP: string; ports: { port: number; targetPort: number }[] } };
    expect(svc.spec.clusterIP).toBe('198.19.0.1');
    expect(svc.spec.ports).toEqual([expect.objectContaining({ port: 443, targetPort: port })]);
    const slices = await call('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dkubernetes');
    expect(slices.body.items).toEqual([expect.objectContaining({ endpoints: [expect.objectContaining({ addresses: ['127.0.0.1'] })], ports: [{ name: 'https', port, protocol: 'TCP' }] })]);
  });

  it('allocates ClusterIPs, honours explicit ones and headless services', async () => {
    const svc = (name: string, spec: Record<string, unknown>) => call('POST', '/api/v1/namespaces/default/services', { metadata: { name }, spec: { ports: [{ port: 53, protocol: 'UDP' }], ...spec } });
    expect(((await svc('dns', { clusterIP: '198.19.0.10' })).body.spec as { clusterIP: string }).clusterIP).toBe('198.19.0.10');
    expect((await svc('dns2', { clusterIP: '198.19.0.10' })).status).toBe(422);
    expect(((await svc('headless', { clusterIP: 'None' })).body.spec as { clusterIP: string }).clusterIP).toBe('None');
    expect(((await svc('auto', {})).body.spec as { clusterIP: string }).clusterIP).toMatch(/^198\.19\./);
  });

  it('validates fields in bodies and merge-style patches: Strict fails, Warn warns', async () => {
    await call('POST', pods, podBody('fv'));
    const strict = await call('PATCH', `${pods}/fv?fieldValidation=Strict`, { spec: { containers: [{ name: 'c', imagee: 'y' }] } }, { contentType: 'application/strategic-merge-patch+json' });
    expect(strict.status).toBe(400);
    expect(strict.body.message).toBe('strict decoding error: unknown field "spec.containers[0].imagee"');
    const directives = await call('PATCH', `${pods}/fv?fieldValidation=Strict`, { spec: { '$setElementOrder/containers': [{ name: 'c' }], containers: [{ name: 'c', image: 'y' }] } }, { contentType: 'application/strategic-merge-patch+json' });
    expect(directives.status).toBe(200);
    const warn = await call('POST', `/api/v1/namespaces/default/configmaps?fieldValidation=Warn`, { metadata: { name: 'fv', labelz: {} } });
    expect(warn.status).toBe(201);
    expect(warn.headers.warning).toBe('299 - "unknown field \\"metadata.labelz\\""');
  });

  it('server-side apply creates, merges, and removes what the same manager stopped applying', async () => {
    const cms = '/api/v1/namespaces/default/configmaps';
    const apply = (data: Record<string, string>, manager: string) =>
      call('PATCH', `${cms}/ssa?fieldManager=${manager}`, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n${Object.entries(data).map(([k, v]) => `  ${k}: "${v}"`).join('\n')}\n`, { contentType: 'application/apply-patch+yaml' });
    expect((await apply({ a: '1', b: '2' }, 'alice')).status).toBe(201);
    await apply({ c: '3' }, 'bob');
    const r = await apply({ a: '9' }, 'alice');
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual({ a: '9', c: '3' });
  });

  it('keeps status out of main-resource writes and spec out of status writes', async () => {
    await call('POST', pods, podBody('st'));
    await call('PATCH', `${pods}/st`, { status: { phase: 'Running' } }, { contentType: 'application/merge-patch+json' });
    expect(((await call('GET', `${pods}/st`)).body.status as { phase: string }).phase).toBe('Pending');
    const r = await call('PATCH', `${pods}/st/status`, { status: { phase: 'Running' }, spec: { nodeName: 'n1' } }, { contentType: 'application/merge-patch+json' });
    expect((r.body.status as { phase: string }).phase).toBe('Running');
    expect((r.body.spec as { nodeName?: string }).nodeName).toBeUndefined();
  });

  it('keeps an object with finalizers until they are removed', async () => {
    const cms = '/api/v1/namespaces/default/configmaps';
    await call('POST', cms, { metadata: { name: 'fin', finalizers: ['example.com/x'] } });
    const del = await call('DELETE', `${cms}/fin`);
    expect(del.status).toBe(202);
    expect(del.body.metadata!.deletionTimestamp).toBeDefined();
    await call('PATCH', `${cms}/fin`, [{ op: 'remove', path: '/metadata/finalizers' }], { contentType: 'application/json-patch+json' });
    expect((await call('GET', `${cms}/fin`)).status).toBe(404);
  });

  it('pages lists in key order with limit and continue', async () => {
    const sas = '/api/v1/namespaces/default/serviceaccounts';
    for (const n of ['sa-c', 'sa-a', 'sa-b']) await call('POST', sas, { metadata: { name: n, labels: { paged: 'yes' } } });
    const first = await call('GET', `${sas}?labelSelector=paged&limit=2`);
    expect((first.body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name)).toEqual(['sa-a', 'sa-b']);
    const meta = first.body.metadata as { continue: string; remainingItemCount: number; resourceVersion: string };
    expect(meta.remainingItemCount).toBe(1);
    await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'between-pages' } });
    const second = await call('GET', `${sas}?labelSelector=paged&limit=2&continue=${meta.continue}`);
    expect((second.body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name)).toEqual(['sa-c']);
    expect(second.body.metadata).toEqual({ resourceVersion: meta.resourceVersion });
    expect((await call('GET', `${sas}?limit=2&continue=garbage`)).status).toBe(400);
  });

  it('deletes collections by label', async () => {
    const cms = '/api/v1/namespaces/default/configmaps';
    for (const n of ['c1', 'c2', 'c3']) await call('POST', cms, { metadata: { name: n, labels: { set: n === 'c3' ? 'b' : 'a' } } });
    const r = await call('DELETE', `${cms}?labelSelector=set%3Da`);
    expect((r.body.items as unknown[]).length).toBe(2);
    expect(((await call('GET', `${cms}?labelSelector=set`)).body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name)).toEqual(['c3']);
  });

  it('deletes a namespace and everything in it', async () => {
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'gone' } });
    await call('POST', '/api/v1/namespaces/gone/pods', podBody('p'));
    const del = await call('DELETE', '/api/v1/namespaces/gone');
    expect((del.body.status as { phase: string }).phase).toBe('Terminating');
    await expect.poll(async () => (await call('GET', '/api/v1/namespaces/gone')).status).toBe(404);
    expect(server.store.list('pods', 'gone').items).toEqual([]);
  });
});

describe('pods', () => {
  it('binds once, with the PodScheduled condition', async () => {
    await call('POST', pods, podBody('b1'));
    const bind = await call('POST', `${pods}/b1/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'b1' }, target: { kind: 'Node', name: 'n1' } });
    expect(bind.status).toBe(201);
    const pod = (await call('GET', `${pods}/b1`)).body as { spec: { nodeName: string }; status: { conditions: { type: string; status: string }[] } };
    expect(pod.spec.nodeName).toBe('n1');
    expect(pod.status.conditions).toContainEqual(expect.objectContaining({ type: 'PodScheduled', status: 'True' }));
    expect((await call('POST', `${pods}/b1/binding`, { target: { name: 'n1' } })).status).toBe(409);
  });

  it('deletes a bound pod gracefully; the kubelet removes it with grace 0 and a uid precondition', async () => {
    const created = await call('POST', pods, podBody('g1', { nodeName: 'n1', terminationGracePeriodSeconds: 20 }));
    const uid = created.body.metadata!.uid as string;
    const del = await call('DELETE', `${pods}/g1`, { kind: 'DeleteOptions', apiVersion: 'v1' });
    expect(del.status).toBe(202);
    expect(del.body.metadata).toMatchObject({ deletionGracePeriodSeconds: 20 });
    expect((await call('DELETE', `${pods}/g1`, { gracePeriodSeconds: 0, preconditions: { uid: 'other' } })).status).toBe(409);
    const final = await call('DELETE', `${pods}/g1`, { gracePeriodSeconds: 0, preconditions: { uid } });
    expect(final.status).toBe(200);
    expect((await call('GET', `${pods}/g1`)).status).toBe(404);
  });

  it('removes at once a pod bound to a node that does not exist', async () => {
    await call('POST', pods, podBody('ghost', { nodeName: 'no-such-node' }));
    expect((await call('DELETE', `${pods}/ghost`)).status).toBe(200);
  });

  it('evicts through pods/eviction', async () => {
    await call('POST', pods, podBody('ev', { nodeName: 'n1' }));
    const r = await call('POST', `${pods}/ev/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'ev' }, deleteOptions: { gracePeriodSeconds: 5 } });
    expect(r.status).toBe(201);
    expect((await call('GET', `${pods}/ev`)).body.metadata).toMatchObject({ deletionGracePeriodSeconds: 5 });
  });
});

describe('events', () => {
  it('stores events.k8s.io/v1 Events as core Events, visible in both APIs', async () => {
    const created = await call('POST', '/apis/events.k8s.io/v1/namespaces/default/events', {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'sched.1' },
      regarding: { kind: 'Pod', name: 'b1', namespace: 'default' },
      note: '0/1 nodes are available',
      reason: 'FailedScheduling',
      type: 'Warning',
      action: 'Scheduling',
      reportingController: 'default-scheduler',
      reportingInstance: 's1',
      eventTime: '2026-01-01T00:00:00.000000Z',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ apiVersion: 'events.k8s.io/v1', note: '0/1 nodes are available' });
    const core = await call('GET', '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Db1,reason%3DFailedScheduling');
    expect(core.body.items).toEqual([expect.objectContaining({ apiVersion: 'v1', message: '0/1 nodes are available', involvedObject: { kind: 'Pod', name: 'b1', namespace: 'default' } })]);
    const viaV1 = await call('GET', '/apis/events.k8s.io/v1/namespaces/default/events?fieldSelector=regarding.name%3Db1');
    expect((viaV1.body.items as { note: string }[]).map((e) => e.note)).toEqual(['0/1 nodes are available']);
    const patched = await call('PATCH', '/apis/events.k8s.io/v1/namespaces/default/events/sched.1', { series: { count: 2, lastObservedTime: '2026-01-01T00:01:00.000000Z' } }, { contentType: 'application/merge-patch+json' });
    expect(patched.body).toMatchObject({ note: '0/1 nodes are available', series: { count: 2 } });
  });
});

describe('watch', () => {
  it('streams initial events then an initial-events-end bookmark for sendInitialEvents (client-go WatchList)', async () => {
    const res = await request(`${server.url}/api/v1/nodes?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan`, { dispatcher: admin });
    let text = '';
    for await (const chunk of res.body) {
      text += (chunk as Buffer).toString();
      if (text.includes('initial-events-end')) break;
    }
    const events = text.trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: { metadata: { name?: string; annotations?: Record<string, string> } } });
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'BOOKMARK']);
    expect(events[0]!.object.metadata.name).toBe('n1');
    expect(events[1]!.object.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
  });
});

describe('slow watchers', () => {
  it('ends a watch whose client stops reading instead of buffering without bound', async () => {
    // Let watches of earlier tests finish closing.
    await expect.poll(() => server.store.watchCount()).toBeLessThanOrEqual(1);
    const before = server.store.watchCount();
    const { connect } = await import('node:tls');
    const url = new URL(server.url);
    const socket = connect({ host: url.hostname, port: Number(url.port), ca: server.pki.caPem, cert: server.pki.admin.certPem, key: server.pki.admin.keyPem });
    await new Promise((r) => socket.once('secureConnect', r));
    socket.write(`GET /api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${server.store.resourceVersion()} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await expect.poll(() => server.store.watchCount()).toBe(before + 1);
    socket.pause();
    const big = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 48; i++) server.store.put('configmaps', { metadata: { name: `big${i}`, namespace: 'default' }, data: { big } });
    expect(server.store.watchCount()).toBe(before);
    socket.destroy();
    for (let i = 0; i < 48; i++) server.store.remove('configmaps', 'default', `big${i}`);
  });
});

describe('representations', () => {
  it('serves Tables with the requested object detail', async () => {
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
    const t = await call('GET', `/api/v1/nodes?includeObject=None`, undefined, { accept });
    expect(t.body.kind).toBe('Table');
    expect((t.body.columnDefinitions as { name: string }[]).map((c) => c.name).slice(0, 5)).toEqual(['Name', 'Status', 'Roles', 'Age', 'Version']);
    const row = (t.body.rows as { cells: unknown[]; object?: unknown }[])[0]!;
    expect(row.cells.slice(0, 5)).toEqual(['n1', 'Unknown', '<none>', expect.any(String), '']);
    expect(row.object).toBeUndefined();
    const withObject = await call('GET', `${pods}/b1?includeObject=Object`, undefined, { accept });
    expect(((withObject.body.rows as { object: { kind: string } }[])[0]!.object).kind).toBe('Pod');
  });

  it('serves discovery and the OpenAPI v3 documents kubectl checks for fieldValidation', async () => {
    const root = (await call('GET', '/openapi/v3')).body as { paths: Record<string, { serverRelativeURL: string }> };
    const doc = (await call('GET', root.paths['api/v1']!.serverRelativeURL)).body as { paths: Record<string, { patch?: { parameters: { name: string; in: string }[]; 'x-kubernetes-group-version-kind': unknown } }> };
    const patch = doc.paths['/api/v1/namespaces/{namespace}/pods/{name}']!.patch!;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: '', version: 'v1', kind: 'Pod' });
    expect(patch.parameters).toContainEqual(expect.objectContaining({ name: 'fieldValidation', in: 'query' }));
    const groups = (await call('GET', '/apis')).body as { groups: { name: string }[] };
    expect(groups.groups.map((g) => g.name)).toEqual(expect.arrayContaining(['discovery.k8s.io', 'coordination.k8s.io', 'events.k8s.io']));
  });
});

describe('authentication and authorization', () => {
  it('accepts minted bearer tokens, answers TokenReview and SubjectAccessReview from the policy', async () => {
    const token = server.pki.mintToken({ username: 'system:serviceaccount:kube-system:burstlet', groups: ['system:serviceaccounts'] });
    expect((await call('GET', '/api/v1/nodes', undefined, { agent: anonymous, token })).status).toBe(200);
    expect((await call('GET', '/api/v1/nodes', undefined, { agent: anonymous, token: `${token}x` })).status).toBe(401);
    const review = await call('POST', '/apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } });
    expect(review.body.status).toMatchObject({ authenticated: true, user: { username: 'system:serviceaccount:kube-system:burstlet' } });

    server.policy.deny({ user: 'mallory', resource: 'nodes', subresource: 'proxy' });
    const sar = (user: string, groups: string[]) =>
      call('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { spec: { user, groups, resourceAttributes: { verb: 'get', resource: 'nodes', subresource: 'proxy', name: 'n1' } } });
    expect(((await sar('mallory', [])).body.status as { allowed: boolean }).allowed).toBe(false);
    expect(((await sar('alice', [])).body.status as { allowed: boolean }).allowed).toBe(true);
    expect(((await sar('mallory', ['system:masters'])).body.status as { allowed: boolean }).allowed).toBe(true);
    server.policy.deny({ user: 'mallory', verb: 'list', resource: 'pods' });
    const forbidden = await call('GET', pods, undefined, { agent: anonymous, token: server.pki.mintToken({ username: 'mallory', groups: [] }) });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.message).toContain('User "mallory" cannot list resource "pods"');
    server.policy.clear();
  });

  it('mints ServiceAccount tokens through serviceaccounts/token (kubectl create token)', async () => {
    const r = await call('POST', '/api/v1/namespaces/default/serviceaccounts/default/token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } });
    expect(r.status).toBe(201);
    const token = (r.body.status as { token: string }).token;
    const who = await call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {}, { agent: anonymous, token });
    expect(who.body.status).toEqual({ userInfo: { username: 'system:serviceaccount:default:default', groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'] } });
    expect(server.pki.verifyToken(server.pki.mintToken({ username: 'x', groups: [] }, -1))).toBeNull();
    expect((await call('POST', '/api/v1/namespaces/default/serviceaccounts/nope/token', {})).status).toBe(404);
  });

  it('answers SelfSubjectReview (kubectl auth whoami) with the certificate identity', async () => {
    const r = await call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
    expect(r.body.status).toEqual({ userInfo: { username: 'burstlet-admin', groups: ['system:masters', 'system:authenticated'] } });
  });

  it('lets extensions own pod subresources, with the server authenticating and authorizing', async () => {
    // HTTP upgrades (exec/attach/port-forward over SPDY or WebSocket) are left to extensions.
    expect(server.app.server.listenerCount('upgrade')).toBe(0);
    const r = await request(`${server.url}${pods}/b1/log`, { dispatcher: admin });
    expect(r.statusCode).toBe(200);
    expect(await r.body.text()).toBe('log of b1 for burstlet-admin');
    const exec = await call('POST', `${pods}/b1/exec?command=ls`);
    expect(exec.status).toBe(503);
  });
});

describe('listen address', () => {
  it('serves a certificate valid for the address it listens on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bl-apiserver-addr-'));
    const other = await startApiServer({ stateDir: dir, host: '127.0.0.2', port: 0 });
    const agent = new Agent({ connect: { ca: other.pki.caPem, cert: other.pki.admin.certPem, key: other.pki.admin.keyPem } });
    try {
      expect(other.url).toMatch(/^https:\/\/127\.0\.0\.2:\d+$/);
      const res = await request(`${other.url}/version`, { dispatcher: agent });
      expect(JSON.parse(await res.body.text())).toMatchObject({ major: '1' });
    } finally {
      await agent.close();
      await other.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

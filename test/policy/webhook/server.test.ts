// The webhook as a server: real HTTPS, real AdmissionReview v1 bodies, and bad input of every kind.
import { request } from 'undici';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.ts';
import { APPLIED_ANNOTATION, PLACEMENT_GATE } from '../../../src/policy/mutation.ts';
import { governingProfile, type ScheduleProfile } from '../../../src/policy/profile.ts';
import type { PolicyLookup } from '../../../src/policy/lookup.ts';
import { startWebhookServer, type WebhookServer } from '../../../src/policy/webhook/server.ts';
import { projectWorkload, WorkloadIndex } from '../../../src/policy/workloads.ts';
import { selfSignedServingCert } from '../../../src/provider/kubelet/serving-cert.ts';

const LABEL = 'bursting.cci.io/burst-to-cci';
const index = new WorkloadIndex();
index.set(projectWorkload('Deployment', { metadata: { namespace: 'apps', name: 'web', uid: 'd1', labels: { app: 'web' } } }), undefined);
index.set(projectWorkload('ReplicaSet', { metadata: { namespace: 'apps', name: 'web-1', uid: 'r1', labels: { app: 'web' }, ownerReferences: [{ kind: 'Deployment', name: 'web', uid: 'd1', controller: true }] } }), undefined);
const profiles: ScheduleProfile[] = [{
  metadata: { namespace: 'apps', name: 'web', creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: { objectLabels: { matchLabels: { app: 'web' } }, strategy: 'localPrefer', location: { local: { maxNum: 2 }, cci: { network: 'db' } } },
}];
const namespaces: Record<string, Record<string, string>> = { burst: { [LABEL]: 'enforce' }, plain: {} };
const context: PolicyLookup = {
  namespaceLabels: (ns) => namespaces[ns],
  namespaceNetwork: (ns) => ({ whitelisted: 'fixed', apps: 'apps-net' } as Record<string, string>)[ns],
  governingProfile: (ns, labels) => governingProfile(profiles, ns, labels),
  resolveWorkload: (pod) => index.resolve(pod, async () => undefined),
  taints: [{ key: 'virtual-kubelet.io/provider', value: 'cci', effect: 'NoSchedule' }],
};

let server: WebhookServer;
const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
const seen: { seconds: number; policy: string | undefined }[] = [];

beforeAll(async () => {
  server = await startWebhookServer({
    port: 0, host: '127.0.0.1', tls: await selfSignedServingCert('webhook', ['127.0.0.1']), context, limit: 64 * 1024,
    onAdmission: (seconds, a) => seen.push({ seconds, policy: a.decision?.policy }),
    log: createLogger('silent', 'test'),
  });
});
afterAll(async () => {
  await server.close();
  await dispatcher.close();
});

const review = (object: unknown, over: Record<string, unknown> = {}) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: { uid: 'req-1', kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, operation: 'CREATE', namespace: 'plain', object, ...over },
});
const pod = (labels: Record<string, string> = {}, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'p-', labels, ...extra }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });

async function post(body: unknown, path = '/mutate', method: 'POST' | 'GET' = 'POST') {
  const res = await request(`https://127.0.0.1:${server.port}${path}`, {
    method, dispatcher, headers: { 'content-type': 'application/json' }, ...(method === 'POST' ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.body.text();
  return { status: res.statusCode, text, json: () => JSON.parse(text) as { response: { uid: string; allowed: boolean; patch?: string; patchType?: string; warnings?: string[] } } };
}
const patchOf = (r: { patch?: string }) => (r.patch ? (JSON.parse(Buffer.from(r.patch, 'base64').toString()) as { path: string; value: unknown }[]) : undefined);

describe('webhook server', () => {
  it('leaves an unlabelled pod exactly as it came: no patch at all', async () => {
    const r = (await post(review(pod({ app: 'x' })))).json().response;
    expect(r).toEqual({ uid: 'req-1', allowed: true });
  });

  it('patches a labelled pod: tolerations, affinity, annotation', async () => {
    const r = (await post(review(pod({ [LABEL]: 'enforce' })))).json().response;
    expect(r).toMatchObject({ uid: 'req-1', allowed: true, patchType: 'JSONPatch' });
    expect(patchOf(r)!.map((op) => op.path)).toEqual(['/spec/tolerations', '/spec/affinity', '/metadata/annotations']);
  });

  it('applies the namespace label to a pod without its own', async () => {
    const r = (await post(review(pod(), { namespace: 'burst' }))).json().response;
    const annotations = patchOf(r)!.find((op) => op.path === '/metadata/annotations')!.value as Record<string, string>;
    expect(JSON.parse(annotations[APPLIED_ANNOTATION]!)).toMatchObject({ policy: 'enforce', source: 'namespace' });
  });

  it('applies a profile through the pod\'s ReplicaSet to its Deployment', async () => {
    const owned = pod({ app: 'web' }, { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'r1', controller: true }] });
    const r = (await post(review(owned, { namespace: 'apps' }))).json().response;
    const ops = patchOf(r)!;
    expect(ops.find((op) => op.path === '/spec/schedulingGates')?.value).toEqual([{ name: PLACEMENT_GATE }]);
    const applied = JSON.parse((ops.find((op) => op.path === '/metadata/annotations')!.value as Record<string, string>)[APPLIED_ANNOTATION]!);
    expect(applied).toMatchObject({ policy: 'localPrefer', source: 'profile', profile: 'apps/web', workload: 'Deployment/web', maxLocal: 2 });
  });

  it('chooses the CCI Network: the profile\'s over the namespace\'s, the namespace\'s without a policy, never over the pod\'s own', async () => {
    const owned = pod({ app: 'web' }, { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'r1', controller: true }] });
    const annotationsOf = (r: { patch?: string }) => patchOf(r)?.find((op) => op.path === '/metadata/annotations')?.value as Record<string, string> | undefined;
    expect(annotationsOf((await post(review(owned, { namespace: 'apps' }))).json().response)!['cci.io/network']).toBe('db');
    const plain = (await post(review(pod({ app: 'x' }, { annotations: { keep: 'me' } }), { namespace: 'whitelisted' }))).json().response;
    expect(patchOf(plain)).toEqual([{ op: 'add', path: '/metadata/annotations', value: { keep: 'me', 'cci.io/network': 'fixed' } }]);
    const own = (await post(review(pod({ app: 'x' }, { annotations: { 'cci.io/network': 'mine' } }), { namespace: 'whitelisted' }))).json().response;
    expect(own).toEqual({ uid: 'req-1', allowed: true });
  });

  it('warns (kubectl shows it) about a label value that is not a policy', async () => {
    const r = (await post(review(pod({ [LABEL]: 'true' })))).json().response;
    expect(r.patch).toBeUndefined();
    expect(r.warnings?.[0]).toMatch(/"true" is not a burst policy/);
  });

  it('leaves DaemonSet pods, other operations and other kinds alone', async () => {
    const ds = pod({ [LABEL]: 'enforce' }, { ownerReferences: [{ kind: 'DaemonSet', name: 'd', uid: 'x', controller: true }] });
    expect((await post(review(ds))).json().response).toEqual({ uid: 'req-1', allowed: true });
    expect((await post(review(pod({ [LABEL]: 'enforce' }), { operation: 'UPDATE' }))).json().response).toEqual({ uid: 'req-1', allowed: true });
    expect((await post(review({ metadata: { labels: { [LABEL]: 'enforce' } } }, { kind: { group: 'apps', version: 'v1', kind: 'Deployment' } }))).json().response).toEqual({ uid: 'req-1', allowed: true });
    expect((await post(review(pod({ [LABEL]: 'enforce' }), { subResource: 'status' }))).json().response).toEqual({ uid: 'req-1', allowed: true });
  });

  it('a malformed pod is admitted unchanged with a warning, never refused', async () => {
    const bad = { metadata: { labels: { [LABEL]: 'enforce' } }, spec: { tolerations: 5 } };
    const r = (await post(review(bad))).json().response;
    expect(r).toMatchObject({ uid: 'req-1', allowed: true });
    expect(r.patch).toBeUndefined();
    expect(r.warnings?.[0]).toMatch(/no burst policy applied/);
  });

  const bad: [string, unknown, number, RegExp][] = [
    ['not JSON', '{"apiVersion":', 400, /not JSON/],
    ['JSON but not an object', '[1,2]', 400, /not a JSON object/],
    ['another API version', { apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: { uid: 'x' } }, 400, /admission.k8s.io\/v1/],
    ['no request uid', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: {} }, 400, /request.uid/],
    ['a body over the limit', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'x', object: { pad: 'x'.repeat(70_000) } } }, 413, /at most 65536 bytes/],
  ];
  for (const [name, body, status, message] of bad) {
    it(`answers ${status} for ${name} and keeps serving`, async () => {
      const r = await post(body);
      expect(r.status).toBe(status);
      expect(r.text).toMatch(message);
      expect((await post(review(pod()))).status).toBe(200);
    });
  }

  it('serves /healthz, refuses other methods and paths', async () => {
    expect((await post(undefined, '/healthz', 'GET')).status).toBe(200);
    expect((await post(undefined, '/mutate', 'GET')).status).toBe(405);
    expect((await post(review(pod()), '/validate')).status).toBe(404);
  });

  it('survives random bodies: every answer is 200 or 4xx', async () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const values = [null, 0, -1, 'x', true, [], {}, [{}], { a: 1 }, 'CREATE', { group: '', kind: 'Pod' }];
    const pick = () => values[Math.floor(rand() * values.length)];
    for (let i = 0; i < 200; i++) {
      const body = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: `u${i}`, operation: rand() < 0.7 ? 'CREATE' : pick(), kind: rand() < 0.7 ? { group: '', kind: 'Pod' } : pick(), namespace: rand() < 0.5 ? 'burst' : pick(), object: { metadata: { labels: rand() < 0.5 ? { [LABEL]: 'localPrefer' } : pick(), annotations: pick(), ownerReferences: pick() }, spec: { tolerations: pick(), affinity: pick(), schedulingGates: pick(), nodeName: rand() < 0.1 ? 'n' : undefined } } } };
      const r = await post(body);
      expect([200, 400]).toContain(r.status);
    }
    expect((await post(review(pod({ [LABEL]: 'auto' })))).json().response.patchType).toBe('JSONPatch');
  });

  it('reports each answered review with its duration and decision', () => {
    expect(seen.some((s) => s.policy === 'enforce' && s.seconds > 0)).toBe(true);
  });
});

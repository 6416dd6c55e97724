// Differential fidelity (issue #11): the requests burstlet and kubectl make — creates, invalid
// objects, conflicts, selectors, status patches, events, leases, TokenReview and
// SubjectAccessReview, workloads and their scale, watches — sent to the embedded control plane
// and to the real one (kube-apiserver 1.33) in one test. Status codes, Status reasons and the
// fields read must agree; what differs on purpose is listed in KNOWN (and in README's "embedded
// vs real" table), and every entry there must still differ, so the list stays true.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { loadKubeConfig } from '../src/kube/client.ts';
import { bearerToken } from '../src/kube/kubeconfig.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UNSERVED_WEBHOOK_URL } from '../src/local/kubernetes/webhook.ts';
import { kubectlFor, kubectlPath } from './support/kubectl.ts';
import { kubernetesMissing, kubernetesTitle } from './support/kubernetes-cluster.ts';
import { startLocalCluster, type LocalCluster } from './support/local-cluster.ts';

type Json = Record<string, unknown>;

interface Step {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string | ((memo: Memo) => string);
  body?: unknown | ((memo: Memo) => unknown);
  contentType?: string;
  /** The fields a client reads from the answer, compared across the two. */
  read?: (body: Json) => unknown;
  /** Keeps something of the answer for later steps. */
  keep?: (body: Json, memo: Memo) => void;
}
type Memo = Record<string, string>;

interface Answer {
  status: number;
  reason?: string;
  read?: unknown;
}

/** Steps whose answers differ on purpose, with why (README: "embedded vs real"). */
const KNOWN: Record<string, string> = {
  'a SubjectAccessReview for a user with no grants':
    'the embedded control plane authorizes every authenticated user (no RBAC; tests add deny rules where they need a 403): RBAC is judged on the real one',
};

const pod = (name: string, extra: Json = {}): Json => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { app: 'fidelity' } },
  spec: { automountServiceAccountToken: false, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '1'] }], ...extra },
});
const at = (o: unknown, ...path: (string | number)[]): unknown => path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], o);
const names = (b: Json): unknown => ((b.items as Json[] | undefined) ?? []).map((i) => at(i, 'metadata', 'name')).sort();
const causes = (b: Json): unknown => ((at(b, 'details', 'causes') as { field?: string; reason?: string }[] | undefined) ?? []).map((c) => `${c.reason} ${c.field}`).sort();

const STEPS: Step[] = [
  {
    name: 'create a pod: the defaults a client reads back',
    method: 'POST', path: '/api/v1/namespaces/default/pods', body: pod('fid-1'),
    read: (b) => ({
      phase: at(b, 'status', 'phase'), qos: at(b, 'status', 'qosClass'),
      dnsPolicy: at(b, 'spec', 'dnsPolicy'), restartPolicy: at(b, 'spec', 'restartPolicy'), schedulerName: at(b, 'spec', 'schedulerName'),
      grace: at(b, 'spec', 'terminationGracePeriodSeconds'), serviceAccount: at(b, 'spec', 'serviceAccountName'), links: at(b, 'spec', 'enableServiceLinks'),
      pull: at(b, 'spec', 'containers', 0, 'imagePullPolicy'), termination: at(b, 'spec', 'containers', 0, 'terminationMessagePath'),
      tolerations: (at(b, 'spec', 'tolerations') as Json[] | undefined)?.map((t) => `${String(t.key)}:${String(t.effect)}:${String(t.tolerationSeconds)}`),
    }),
    keep: (b, m) => { m.uid = String(at(b, 'metadata', 'uid')); m.rv = String(at(b, 'metadata', 'resourceVersion')); },
  },
  { name: 'create it again', method: 'POST', path: '/api/v1/namespaces/default/pods', body: pod('fid-1'), read: (b) => at(b, 'details', 'name') },
  { name: 'a pod without containers', method: 'POST', path: '/api/v1/namespaces/default/pods', body: { ...pod('fid-2'), spec: { containers: [] } }, read: causes },
  { name: 'a pod with an invalid name', method: 'POST', path: '/api/v1/namespaces/default/pods', body: pod('Bad_Name'), read: causes },
  { name: 'a pod asking for a quantity that is not one', method: 'POST', path: '/api/v1/namespaces/default/pods', body: pod('fid-3', { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: 'lots' } } }] }) },
  { name: 'get a pod that is not there', method: 'GET', path: '/api/v1/namespaces/default/pods/nope', read: (b) => [at(b, 'details', 'name'), at(b, 'details', 'kind')] },
  { name: 'list by label selector', method: 'GET', path: '/api/v1/namespaces/default/pods?labelSelector=app%3Dfidelity', read: names },
  { name: 'list by set-based selector', method: 'GET', path: '/api/v1/namespaces/default/pods?labelSelector=app%20in%20(fidelity,x),!gone', read: names },
  { name: 'list by field selector', method: 'GET', path: '/api/v1/pods?fieldSelector=metadata.name%3Dfid-1,spec.nodeName%3D', read: names },
  { name: 'a label selector that does not parse', method: 'GET', path: '/api/v1/namespaces/default/pods?labelSelector=app%20in%20(' },
  { name: 'a field selector on a field pods do not index', method: 'GET', path: '/api/v1/pods?fieldSelector=spec.hostname%3Dx' },
  {
    name: 'the node\'s status patch (merge) of a pod',
    method: 'PATCH', path: '/api/v1/namespaces/default/pods/fid-1/status', contentType: 'application/merge-patch+json',
    body: { status: { phase: 'Running', podIP: '198.18.9.9', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-12-05T00:00:00Z' }] } },
    read: (b) => ({ phase: at(b, 'status', 'phase'), ip: at(b, 'status', 'podIP'), podIPs: at(b, 'status', 'podIPs'), ready: (at(b, 'status', 'conditions') as Json[]).find((c) => c.type === 'Ready')?.status }),
  },
  { name: 'a status patch that changes the spec changes nothing of it', method: 'PATCH', path: '/api/v1/namespaces/default/pods/fid-1/status', contentType: 'application/merge-patch+json', body: { spec: { activeDeadlineSeconds: 5 } }, read: (b) => at(b, 'spec', 'activeDeadlineSeconds') ?? null },
  { name: 'a JSON patch whose test fails', method: 'PATCH', path: '/api/v1/namespaces/default/pods/fid-1', contentType: 'application/json-patch+json', body: [{ op: 'test', path: '/metadata/name', value: 'other' }] },
  { name: 'an update from a stale resourceVersion', method: 'PUT', path: '/api/v1/namespaces/default/pods/fid-1', body: (m: Memo) => ({ ...pod('fid-1'), metadata: { name: 'fid-1', namespace: 'default', resourceVersion: m.rv } }) },
  { name: 'a delete whose uid precondition fails', method: 'DELETE', path: '/api/v1/namespaces/default/pods/fid-1', body: { preconditions: { uid: 'not-this-one' } } },
  {
    name: 'an event as the kubelet posts it',
    method: 'POST', path: '/api/v1/namespaces/default/events',
    body: { metadata: { name: 'fid-1.1', namespace: 'default' }, involvedObject: { kind: 'Pod', namespace: 'default', name: 'fid-1' }, reason: 'Started', message: 'Started container c', type: 'Normal', count: 1, source: { component: 'kubelet', host: 'n' }, firstTimestamp: '2026-12-05T00:00:00Z', lastTimestamp: '2026-12-05T00:00:00Z' },
    read: (b) => [at(b, 'reason'), at(b, 'count'), at(b, 'type'), at(b, 'reportingComponent')],
  },
  {
    name: 'a node Lease',
    method: 'POST', path: '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases',
    body: { metadata: { name: 'fidelity' }, spec: { holderIdentity: 'fidelity', leaseDurationSeconds: 40, renewTime: '2026-12-05T00:00:00.000000Z' } },
    read: (b) => [at(b, 'spec', 'holderIdentity'), at(b, 'spec', 'renewTime')],
  },
  { name: 'a Lease renewal from a stale resourceVersion', method: 'PUT', path: '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/fidelity', body: { metadata: { name: 'fidelity', resourceVersion: '1' }, spec: { holderIdentity: 'x' } } },
  { name: 'a TokenReview of a token nobody issued', method: 'POST', path: '/apis/authentication.k8s.io/v1/tokenreviews', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'not.a.token' } }, read: (b) => at(b, 'status', 'authenticated') ?? false },
  {
    name: 'a SubjectAccessReview for a user with no grants',
    method: 'POST', path: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'nobody', resourceAttributes: { verb: 'create', resource: 'nodes', subresource: 'proxy', name: 'n' } } },
    read: (b) => at(b, 'status', 'allowed'),
  },
  {
    name: 'a Deployment, and its scale subresource',
    method: 'POST', path: '/apis/apps/v1/namespaces/default/deployments',
    body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'fid' }, spec: { replicas: 0, selector: { matchLabels: { app: 'fid' } }, template: { metadata: { labels: { app: 'fid' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } },
    read: (b) => ({ strategy: at(b, 'spec', 'strategy', 'type'), revisionHistoryLimit: at(b, 'spec', 'revisionHistoryLimit'), progressDeadlineSeconds: at(b, 'spec', 'progressDeadlineSeconds') }),
  },
  { name: 'the Deployment\'s scale', method: 'GET', path: '/apis/apps/v1/namespaces/default/deployments/fid/scale', read: (b) => [at(b, 'kind'), at(b, 'spec', 'replicas'), at(b, 'status', 'selector')] },
  { name: 'a Deployment whose selector does not match its template', method: 'POST', path: '/apis/apps/v1/namespaces/default/deployments', body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'fid-bad' }, spec: { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } }, read: causes },
  { name: 'a ConfigMap, then a strategic merge patch of it', method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: { metadata: { name: 'fid' }, data: { a: '1' } }, read: (b) => at(b, 'data') },
  { name: 'the ConfigMap patched', method: 'PATCH', path: '/api/v1/namespaces/default/configmaps/fid', contentType: 'application/strategic-merge-patch+json', body: { data: { b: '2', a: null } }, read: (b) => at(b, 'data') },
  { name: 'delete the pod', method: 'DELETE', path: '/api/v1/namespaces/default/pods/fid-1', body: { gracePeriodSeconds: 0 }, read: (b) => at(b, 'kind') },
];

class ControlPlane {
  readonly #agent: Agent;
  readonly #server: string;
  readonly #token: string | undefined;
  readonly memo: Memo = {};
  constructor(kubeconfig: string) {
    const c = loadKubeConfig(kubeconfig);
    this.#server = c.server;
    this.#token = bearerToken(c);
    this.#agent = new Agent({ connect: { ...(c.ca ? { ca: c.ca } : {}), ...(c.cert ? { cert: c.cert } : {}), ...(c.key ? { key: c.key } : {}) } });
  }

  async answer(step: Step): Promise<Answer> {
    const path = typeof step.path === 'function' ? step.path(this.memo) : step.path;
    const body = typeof step.body === 'function' ? (step.body as (m: Memo) => unknown)(this.memo) : step.body;
    const res = await request(`${this.#server}${path}`, {
      method: step.method, dispatcher: this.#agent,
      headers: { accept: 'application/json', ...(this.#token ? { authorization: `Bearer ${this.#token}` } : {}), ...(body === undefined ? {} : { 'content-type': step.contentType ?? 'application/json' }) },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const parsed = JSON.parse(await res.body.text()) as Json;
    if (res.statusCode < 300) step.keep?.(parsed, this.memo);
    return {
      status: res.statusCode,
      ...(res.statusCode >= 400 ? { reason: String(parsed.reason) } : {}),
      ...(step.read && res.statusCode < 300 ? { read: step.read(parsed) } : {}),
      ...(step.read && res.statusCode >= 400 && step.read(parsed) !== undefined ? { read: step.read(parsed) } : {}),
    };
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}

describe.skipIf(kubernetesMissing !== undefined)(kubernetesTitle('the embedded control plane answers as kube-apiserver 1.33 does'), () => {
  let embedded: LocalCluster;
  let real: LocalCluster;
  const planes: ControlPlane[] = [];

  beforeAll(async () => {
    process.env.KUBECTL ??= kubectlPath('1.33');
    [embedded, real] = await Promise.all([
      startLocalCluster(),
      startLocalCluster({ args: ['--control-plane=kubernetes'], readyTimeoutMs: 240_000 }),
    ]);
    planes.push(new ControlPlane(embedded.kubeconfig), new ControlPlane(real.kubeconfig));
  }, 300_000);

  afterAll(async () => {
    await Promise.all(planes.map((p) => p.close()));
    await Promise.all([embedded?.stop(), real?.stop()]);
  }, 60_000);

  it('every step: the same status, reason and fields read, or a known difference', async () => {
    const differences: Record<string, { embedded: Answer; real: Answer }> = {};
    for (const step of STEPS) {
      const [a, b] = [await planes[0]!.answer(step), await planes[1]!.answer(step)];
      if (JSON.stringify(a) !== JSON.stringify(b)) differences[step.name] = { embedded: a, real: b };
    }
    expect(Object.keys(differences).sort(), JSON.stringify(differences, null, 2)).toEqual(Object.keys(KNOWN).sort());
  }, 120_000);

  // Without --nodes nobody serves the burst-policy webhook: kube-apiserver must fail open on
  // loopback, never dial the manifests' Service (a ClusterIP no kube-proxy carries here, which
  // left the machine by the default route).
  it('kube-apiserver calls the unserved burst-policy webhook on loopback only', async () => {
    const kubectl = kubectlFor(real.kubeconfig);
    const config = JSON.parse(await kubectl.ok(['get', 'mutatingwebhookconfiguration', 'burstlet', '-o', 'json'])) as { webhooks: { clientConfig: { url?: string; service?: unknown } }[] };
    expect(config.webhooks.map((w) => w.clientConfig.url)).toEqual([UNSERVED_WEBHOOK_URL]);
    await kubectl.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'webhook-probe', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    const log = join(real.stateDir, 'kubernetes', 'logs', 'kube-apiserver.log');
    const webhookCalls = (): string[] => readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('Failed calling webhook'));
    // The log reaches its file through burstlet local's pipe: wait for the line, boundedly.
    for (const until = Date.now() + 10_000; webhookCalls().length === 0 && Date.now() < until;) await new Promise((r) => setTimeout(r, 100));
    const calls = webhookCalls();
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.filter((l) => !l.includes(UNSERVED_WEBHOOK_URL.replace('/mutate', '')))).toEqual([]);
  }, 60_000);
});

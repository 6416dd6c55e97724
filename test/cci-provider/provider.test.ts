// CCI as a provider, on a fake CCI and a fake API server (for the ConfigMaps translation reads).
import { afterEach, describe, expect, it } from 'vitest';
import { CciError } from '../../src/cci/client.ts';
import { annotations, ownerLabels, type CciPod, type CciWatchEvent } from '../../src/cci/types.ts';
import type { CciPodsBackend } from '../../src/cci-provider/cci-backend.ts';
import { cciPodName } from '../../src/cci-provider/naming.ts';
import { cciNodeProvider } from '../../src/cci-provider/node.ts';
import { nodeMetrics } from '../../src/cci-provider/metrics.ts';
import { CciNamespaceView } from '../../src/cci-provider/namespace-view.ts';
import { CciProvider } from '../../src/cci-provider/provider.ts';
import type { KubeApi } from '../../src/kube/list-watch-cache.ts';
import type { Pod } from '../../src/kube/wire.ts';
import { createLogger } from '../../src/log/logger.ts';
import { PodRefusedError, PodWaitingError } from '../../src/provider/pods/provider.ts';
import { settle } from '../support/fake-clock.ts';

const log = createLogger('silent', 'test');
const notFound = (name: string): CciError => new CciError(404, 'NotFound', `pods "${name}" not found`);

/** CCI's pods of one namespace in memory; `live` holds pods the list does not show yet. */
function fakeCci(listed: CciPod[] = []) {
  const pods = new Map(listed.map((p) => [p.metadata.name, p]));
  const live = new Map<string, CciPod>();
  const lists: { limit?: number; continue?: string }[] = [];
  let rv = 10;
  const backend: CciPodsBackend = {
    async createPod(pod) {
      if (pods.has(pod.metadata.name) || live.has(pod.metadata.name)) throw new CciError(409, 'AlreadyExists', 'exists');
      const created = { ...pod, metadata: { ...pod.metadata, resourceVersion: String(++rv) } };
      pods.set(pod.metadata.name, created);
      return created;
    },
    async getPod(name) {
      const pod = pods.get(name) ?? live.get(name);
      if (!pod) throw notFound(name);
      return pod;
    },
    // Pages by position, as a server honouring limit/continue would (the token: where to go on).
    async listPods(opts = {}) {
      lists.push(opts);
      const all = [...pods.values()];
      const from = Number(opts.continue ?? 0);
      const end = opts.limit ? Math.min(all.length, from + opts.limit) : all.length;
      return { apiVersion: 'cci/v2', kind: 'PodList', metadata: { resourceVersion: String(rv), ...(end < all.length ? { continue: String(end) } : {}) }, items: all.slice(from, end) };
    },
    async deletePod(name) {
      if (!pods.delete(name)) throw notFound(name);
    },
    watchPods: (_rv: string, _on: (e: CciWatchEvent) => void, signal: AbortSignal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve())),
    async quota() {
      return { apiVersion: 'cci/v2', kind: 'ResourceQuota', metadata: { name: 'q' }, status: { hard: { cpu: '8', pods: '100' }, used: {} } };
    },
    async network() {
      return { apiVersion: 'cci/v2', kind: 'Network', metadata: { name: 'n' }, spec: { cidr: '198.18.0.0/24', gateway: '198.18.0.1' }, status: { totalIPs: 253, usedIPs: 3, freeIPs: 250 } };
    },
    async networks() {
      return [await backend.network()];
    },
  };
  return { backend, pods, live, lists };
}

/** An API server with no objects; `configMapAdded` delivers a ConfigMap to its namespace's watchers. */
function fakeKube() {
  const watchers: { path: string; onEvent: (type: string, obj: unknown) => void }[] = [];
  const kube: KubeApi = {
    request: async <T>() => ({ metadata: { resourceVersion: '1' }, items: [] }) as T,
    watch: async <T>(path: string, _q: Record<string, string | undefined>, onEvent: (type: string, obj: T) => void, signal: AbortSignal) => {
      watchers.push({ path, onEvent: onEvent as (type: string, obj: unknown) => void });
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
    },
  };
  const configMapAdded = (namespace: string, name: string): void => {
    for (const w of watchers) {
      if (w.path === `/api/v1/namespaces/${namespace}/configmaps`) w.onEvent('ADDED', { metadata: { namespace, name, resourceVersion: '2' }, data: { x: '1' } });
    }
  };
  /** The collections watched: what burstlet holds. */
  const watched = (): string[] => watchers.map((w) => w.path).sort();
  return { kube, configMapAdded, watched };
}

const k8sPod = (name: string, uid: string, spec: Partial<NonNullable<Pod['spec']>> = {}): Pod =>
  ({ metadata: { namespace: 'ns', name, uid }, spec: { nodeName: 'burst-1', containers: [{ name: 'c', image: 'busybox' }], ...spec } });

/** A CCI pod; with `owner`, created by a node (by default this test's node burst-1 of cluster c-1). */
const cciPodOf = (name: string, owner?: { key: string; uid: string; node?: string; cluster?: string }, deleting = false): CciPod => ({
  apiVersion: 'cci/v2',
  kind: 'Pod',
  metadata: {
    name,
    resourceVersion: '5',
    ...(owner ? {
      annotations: { [annotations.podKey]: owner.key, [annotations.podUID]: owner.uid },
      labels: { [ownerLabels.cluster]: owner.cluster ?? 'c-1', [ownerLabels.node]: owner.node ?? 'burst-1' },
    } : {}),
    ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
  },
  spec: { containers: [], restartPolicy: 'Always', hostname: name, dnsConfig: { nameservers: [], searches: [], options: [] } },
  status: { phase: 'Running' } as CciPod['status'],
});

let started: { stop(): void }[] = [];
afterEach(() => {
  for (const p of started) p.stop();
  started = [];
});

async function provider(listed: CciPod[] = []) {
  const cci = fakeCci(listed);
  const api = fakeKube();
  // TokenRequests answered with a token naming the pod, and counted.
  const tokenRequests: string[] = [];
  const request = api.kube.request;
  api.kube.request = async <T>(...args: Parameters<KubeApi['request']>): Promise<T> => {
    const [, path, opts] = args;
    if (!path.endsWith('/token')) return request<T>(...args);
    const name = (opts?.body as { spec: { boundObjectRef: { name: string } } }).spec.boundObjectRef.name;
    tokenRequests.push(name);
    return { status: { token: `token-of-${name}` } } as T;
  };
  const notified: string[] = [];
  const events: string[] = [];
  const view = new CciNamespaceView({ cci: cci.backend, kube: api.kube, resyncMs: 60_000, onError: () => undefined, log });
  const p = new CciProvider({
    cci: cci.backend,
    kube: api.kube,
    view,
    clusterId: 'c-1',
    nodeName: 'burst-1',
    nodeIP: '10.0.0.1',
    translateNode: { name: 'burst-1', clusterDomain: 'cluster.local', clusterDNS: ['198.19.0.10'], hostResolvConf: null, overflow: 'truncate' },
    events: { record: (_t, type, reason) => events.push(`${type} ${reason}`) },
    metrics: nodeMetrics(() => new Map()),
    log,
  });
  p.notifyPods((key) => notified.push(key));
  started.push(p, view);
  await view.start();
  await p.start();
  return { p, cci, api, notified, events, view, tokenRequests };
}

describe('CciProvider', () => {
  it('lists only the CCI pods burstlet created, by the Kubernetes pod they belong to', async () => {
    const { p } = await provider([cciPodOf('ns-a-1', { key: 'ns/a', uid: 'u1' }), cciPodOf('someone-elses'), cciPodOf('ns-b-2', { key: 'ns/b', uid: 'u2' }, true)]);
    expect(await p.getPods()).toEqual([
      { metadata: { namespace: 'ns', name: 'a', uid: 'u1' } },
      { metadata: { namespace: 'ns', name: 'b', uid: 'u2', deletionTimestamp: '2026-01-01T00:00:00Z' } },
    ]);
    expect(p.podCount).toBe(2);
  });

  it('never offers another node\'s or another cluster\'s pod in a shared CCI namespace to the orphan sweep (issue #12 item 4)', async () => {
    const { p } = await provider([
      cciPodOf('ns-a-1', { key: 'ns/a', uid: 'u1' }),
      cciPodOf('ns-b-2', { key: 'ns/b', uid: 'u2', node: 'burst-2' }),
      cciPodOf('ns-c-3', { key: 'ns/c', uid: 'u3', cluster: 'c-2' }),
      { ...cciPodOf('ns-d-4'), metadata: { ...cciPodOf('ns-d-4').metadata, annotations: { [annotations.podKey]: 'ns/d', [annotations.podUID]: 'u4' } } },
    ]);
    expect((await p.getPods()).map((pod) => pod.metadata?.name)).toEqual(['a']);
    expect(p.podCount).toBe(1);
  });

  it('turns a final CCI refusal into a refused pod with a Warning, and leaves others to retry (issue #12 item 6)', async () => {
    const { p, cci, events } = await provider();
    cci.backend.createPod = async () => {
      throw new CciError(422, 'Invalid', 'spec.hostname: Invalid value');
    };
    const err = await p.createPod(k8sPod('web', 'u1')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PodRefusedError);
    expect(err).toMatchObject({ reason: 'ProviderRefused', message: 'CCI refused the pod (422 Invalid): spec.hostname: Invalid value' });
    expect(events).toContain('Warning ProviderRefused');
    cci.backend.createPod = async () => {
      throw new CciError(503, 'ServiceUnavailable', 'busy');
    };
    const transient = await p.createPod(k8sPod('web2', 'u2')).catch((e: unknown) => e);
    expect(transient).toBeInstanceOf(CciError);
    expect(transient).not.toBeInstanceOf(PodRefusedError);
  });

  it('lists CCI in pages of 500, as a reflector does, and holds every pod listed', async () => {
    const listed = Array.from({ length: 1201 }, (_, i) => cciPodOf(`ns-p${i}-1`, { key: `ns/p${i}`, uid: `u${i}` }));
    const { p, cci, view } = await provider(listed);
    expect(cci.lists).toEqual([{ limit: 500 }, { limit: 500, continue: '500' }, { limit: 500, continue: '1000' }]);
    expect(view.pods.list()).toHaveLength(1201);
    expect(await p.getPods()).toHaveLength(1201);
  });

  it('keeps CCI pods without their spec, listed or created: the files and token inside stay with CCI', async () => {
    const { p, cci, view } = await provider([cciPodOf('ns-a-1', { key: 'ns/a', uid: 'u1' })]);
    await p.createPod(k8sPod('web', 'u2'));
    expect([...cci.pods.values()].every((c) => c.spec !== undefined)).toBe(true);
    const kept = view.pods.list();
    expect(kept).toHaveLength(2);
    for (const c of kept) expect(Object.keys(c).sort()).toEqual(['apiVersion', 'kind', 'metadata', ...(c.status ? ['status'] : [])]);
  });

  it('requests the ServiceAccount token of a pod it is to create when prepared, and the creation uses it; none for a pod already on CCI', async () => {
    const projected = { volumes: [{ name: 'kube-api-access', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }] } }] };
    const onCci = k8sPod('old', 'u0', projected);
    const { p, cci, tokenRequests } = await provider([cciPodOf(cciPodName('ns', 'old', 'u0'), { key: 'ns/old', uid: 'u0' })]);
    p.prepare(onCci);
    const pod = k8sPod('web', 'u1', projected);
    p.prepare(pod);
    p.prepare(pod);
    await settle();
    expect(tokenRequests).toEqual(['web']);
    await p.createPod(pod);
    expect(tokenRequests).toEqual(['web']);
    const created = [...cci.pods.values()].find((c) => c.metadata.name === cciPodName('ns', 'web', 'u1'))!;
    expect(JSON.stringify(created.spec)).toContain(Buffer.from('token-of-web').toString('base64'));
  });

  it('labels what it creates with its cluster and node', async () => {
    const { p, cci } = await provider();
    await p.createPod(k8sPod('web', 'u1'));
    expect([...cci.pods.values()][0]!.metadata.labels).toMatchObject({ [ownerLabels.cluster]: 'c-1', [ownerLabels.node]: 'burst-1' });
  });

  it('creates a pod once per uid and reports its status; a lost response (409) adopts the existing pod', async () => {
    const { p, cci } = await provider();
    const pod = k8sPod('web', 'u1');
    await p.createPod(pod);
    expect((await p.getPodStatus(pod))?.status.phase).toBe('Pending'); // CCI gave it no status yet
    expect((await p.getPodStatus(pod))?.annotations).toEqual({ 'burstlet.io/flavor-cpu': '250m', 'burstlet.io/flavor-memory': '512Mi' });
    // A restart forgot it; CCI has it: the create's 409 is no error.
    const again = (await provider([...cci.pods.values()])).p;
    await again.createPod(pod);
    expect(cci.pods.size).toBe(1);
  });

  it('asks CCI itself before saying a pod is gone only when asked to confirm', async () => {
    const { p, cci } = await provider();
    const pod = k8sPod('web', 'u1');
    // The pod exists on CCI but the cache has not seen it (no watch event yet).
    cci.live.set(cciPodName('ns', 'web', 'u1'), cciPodOf(cciPodName('ns', 'web', 'u1'), { key: 'ns/web', uid: 'u1' }));
    expect(await p.getPodStatus(pod)).toBeUndefined();
    expect((await p.getPodStatus(pod, { confirm: true }))?.status.phase).toBe('Running');
    expect(await p.getPodStatus(k8sPod('gone', 'u9'), { confirm: true })).toBeUndefined();
  });

  it('refuses what cannot burst, and keeps a pod waiting for a ConfigMap until one of its namespace appears', async () => {
    const { p, api, notified, events } = await provider();
    await expect(p.createPod(k8sPod('host', 'u1', { hostNetwork: true }))).rejects.toBeInstanceOf(PodRefusedError);
    const waiting = k8sPod('needs-cm', 'u2', { containers: [{ name: 'c', image: 'busybox', envFrom: [{ configMapRef: { name: 'cm' } }] }] });
    await expect(p.createPod(waiting)).rejects.toBeInstanceOf(PodWaitingError);
    expect(events).toContain('Warning Failed');
    api.configMapAdded('other', 'cm');
    await settle();
    expect(notified).not.toContain('ns/needs-cm');
    api.configMapAdded('ns', 'cm');
    await settle();
    expect(notified).toContain('ns/needs-cm');
    // Only the namespace of the node's pods is held, as the kubelet holds only what its pods reference.
    expect(api.watched()).toEqual(['/api/v1/namespaces/ns/configmaps', '/api/v1/namespaces/ns/secrets', '/api/v1/services']);
  });

  it('deletes a pod CCI no longer has without error', async () => {
    const { p } = await provider();
    await expect(p.deletePod(k8sPod('never', 'u1'), 30)).resolves.toBeUndefined();
  });

  it('sizes the node from the quota and the free IPs, counting the IPs its pods hold', async () => {
    const { cci } = await provider();
    const errors: unknown[] = [];
    const node = cciNodeProvider(cci.backend, () => 3, (err) => errors.push(err));
    expect((await node.resources()).capacity).toEqual({ cpu: '8', pods: '100' });
    const down = cciNodeProvider({ ...cci.backend, quota: () => Promise.reject(new CciError(0, 'ConnectionError', 'ECONNREFUSED')) }, () => 0, (err) => errors.push(err));
    await expect(down.resources()).rejects.toThrow('ECONNREFUSED');
    expect(errors).toHaveLength(1);
  });
});

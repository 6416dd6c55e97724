// @kubernetes/client-node informers against the local API server (in-process, over HTTPS):
// a dropped watch resumes from its resourceVersion, a 410 makes it relist, and no change
// is lost either way. The server's test hooks force both.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, makeInformer, Watch, type V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../src/local/apiserver/index.ts';

let server: ApiServer;
let stateDir: string;
let kc: KubeConfig;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'bl-informer-'));
  server = await startApiServer({ stateDir, port: 0, bookmarkIntervalMs: 200 });
  kc = new KubeConfig();
  kc.loadFromFile(server.kubeconfigPath);
});

afterAll(async () => {
  await server?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

const cm = (name: string) => ({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name, namespace: 'default' }, data: { v: name } });

describe('client-node informer', () => {
  it('survives a forced watch drop and a 410 without losing events', async () => {
    const api = kc.makeApiClient(CoreV1Api);
    let lists = 0;
    const informer = makeInformer<V1ConfigMap>(kc, '/api/v1/namespaces/default/configmaps', () => {
      lists++;
      return api.listNamespacedConfigMap({ namespace: 'default' });
    });
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
    const errors: unknown[] = [];
    informer.on('error', (e) => errors.push(e));
    const names = () => informer.list('default').map((o) => o.metadata?.name).sort();
    await informer.start();
    try {
      await expect.poll(() => names().includes('kube-root-ca.crt'), { timeout: 10_000, interval: 20, message: 'initial list' }).toBe(true);
      await api.createNamespacedConfigMap({ namespace: 'default', body: cm('a1') });
      await expect.poll(() => names().includes('a1'), { timeout: 10_000, interval: 20, message: 'a1' }).toBe(true);
      expect(lists).toBe(1);

      // A dropped watch (apiserver restart, timeout): changes made meanwhile arrive on resume, without a relist.
      server.store.dropWatches();
      await api.createNamespacedConfigMap({ namespace: 'default', body: cm('a2') });
      await expect.poll(() => names().includes('a2'), { timeout: 10_000, interval: 20, message: 'a2 after the drop' }).toBe(true);
      expect(lists).toBe(1);

      // A drop while history is compacted past the informer's resourceVersion: 410, relist.
      server.store.dropWatches();
      server.store.put('configmaps', cm('a3'));
      server.store.remove('configmaps', 'default', 'a1');
      server.store.compact();
      await expect.poll(() => names().includes('a3') && !names().includes('a1'), { timeout: 10_000, interval: 20, message: 'a3 after the 410' }).toBe(true);
      expect(lists).toBe(2);
      expect(names()).toEqual(['a2', 'a3', 'kube-root-ca.crt']);
      // A relist reports deletions before additions.
      expect(seen).toEqual(['add kube-root-ca.crt', 'add a1', 'add a2', 'delete a1', 'add a3']);
      expect(errors).toEqual([]);
    } finally {
      await informer.stop();
    }
  });

  it('gets bookmarks when it asks for them, and a 410 ERROR event for an expired resourceVersion', async () => {
    const events: { type: string; rv?: string; code?: number }[] = [];
    const watch = new Watch(kc);
    const rv = String(server.store.resourceVersion());
    const req = await watch.watch(
      '/api/v1/namespaces/default/pods',
      { allowWatchBookmarks: true, resourceVersion: rv },
      (type, obj: { metadata?: { resourceVersion?: string }; code?: number }) => events.push({ type, rv: obj.metadata?.resourceVersion, code: obj.code }),
      () => undefined,
    );
    await expect.poll(() => events.some((e) => e.type === 'BOOKMARK'), { timeout: 10_000, interval: 20, message: 'a bookmark' }).toBe(true);
    req.abort();
    expect(events.find((e) => e.type === 'BOOKMARK')?.rv).toBe(rv);

    server.store.put('configmaps', cm('b1'));
    server.store.compact();
    const expired: { type: string; code?: number }[] = [];
    let done = false;
    await watch.watch('/api/v1/namespaces/default/configmaps', { resourceVersion: rv }, (type, obj: { code?: number }) => expired.push({ type, code: obj.code }), () => (done = true));
    await expect.poll(() => done, { timeout: 10_000, interval: 20, message: 'the expired watch to end' }).toBe(true);
    expect(expired).toEqual([{ type: 'ERROR', code: 410 }]);
  });
});

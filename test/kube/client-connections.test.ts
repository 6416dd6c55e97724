// KubeClient's connections to a server that offers HTTP/2 (kube-apiserver does): HTTP/1.1,
// requests on a pool, each watch on a connection of its own. On one shared HTTP/2 connection
// kube-apiserver closed the node's pod watch as unresponsive in every burst.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.ts';
import { startH2RecordingServer, type RecordingServer } from '../support/h2-recording-server.ts';

let server: RecordingServer;
let client: KubeClient;

beforeAll(async () => {
  server = await startH2RecordingServer((url, res) => {
    res.setHeader('content-type', 'application/json');
    if (url.searchParams.get('watch') === 'true') {
      res.write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'p', resourceVersion: '2' } } })}\n`);
      return 'held';
    }
    setTimeout(() => res.end(JSON.stringify({ kind: 'Status', metadata: {} })), 20);
  });
  client = await KubeClient.create({ server: server.url, ca: Buffer.from(server.caPem), insecureSkipTLSVerify: false });
});

afterAll(async () => {
  await client.close();
  await server.close();
});

describe('KubeClient connections', () => {
  it('speaks HTTP/1.1 though the server offers HTTP/2, and keeps watches on connections apart from requests', async () => {
    const abort = new AbortController();
    const events: string[] = [];
    const watching = client.watch<{ metadata: { name: string } }>('/api/v1/pods', {}, (type, obj) => events.push(`${type} ${obj.metadata.name}`), abort.signal).catch(() => undefined);
    await Promise.all(Array.from({ length: 6 }, (_, i) => client.request('GET', `/api/v1/namespaces/n${i}`)));
    await new Promise<void>((resolve) => {
      const check = (): void => void (events.length > 0 ? resolve() : setTimeout(check, 5));
      check();
    });
    abort.abort();
    await watching;

    const requests = server.seen.filter((s) => s.path.startsWith('/api/v1/namespaces/'));
    const watch = server.seen.find((s) => s.path === '/api/v1/pods');
    expect(requests).toHaveLength(6);
    expect(new Set(requests.map((r) => r.httpVersion))).toEqual(new Set(['1.1']));
    expect(watch?.httpVersion).toBe('1.1');
    expect(requests.map((r) => r.connection)).not.toContain(watch?.connection);
    expect(events).toEqual(['ADDED p']);
  });
});

// KubeClient's connections to a server that offers HTTP/2 (kube-apiserver does): HTTP/1.1,
// requests on a pool, each watch on a connection of its own. On one shared HTTP/2 connection
// kube-apiserver closed the node's pod watch as unresponsive in every burst.
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.ts';
import { createCa, issueCert } from '../../src/tls/ca.ts';

interface Seen {
  path: string;
  httpVersion: string;
  /** Which TCP connection carried it. */
  connection: number;
}

const seen: Seen[] = [];
let server: http2.Http2SecureServer;
let client: KubeClient;
const openWatches: http2.Http2ServerResponse[] = [];

beforeAll(async () => {
  const ca = await createCa('test-ca');
  const pair = await issueCert(ca, { commonName: '127.0.0.1', ipAddresses: ['127.0.0.1'], usage: 'server' });
  const connections = new WeakMap<object, number>();
  let next = 0;
  server = http2.createSecureServer({ cert: pair.certPem, key: pair.keyPem, allowHTTP1: true }, (req, res) => {
    const socket = req.httpVersion === '2.0' ? req.stream.session!.socket : req.socket;
    if (!connections.has(socket)) connections.set(socket, next++);
    const url = new URL(req.url, 'https://x');
    seen.push({ path: url.pathname, httpVersion: req.httpVersion, connection: connections.get(socket)! });
    res.setHeader('content-type', 'application/json');
    if (url.searchParams.get('watch') === 'true') {
      res.write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'p', resourceVersion: '2' } } })}\n`);
      openWatches.push(res);
      return;
    }
    setTimeout(() => res.end(JSON.stringify({ kind: 'Status', metadata: {} })), 20);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  client = await KubeClient.create({ server: `https://127.0.0.1:${port}`, ca: Buffer.from(ca.certPem), insecureSkipTLSVerify: false });
});

afterAll(async () => {
  for (const w of openWatches) w.end();
  await client.close();
  await new Promise((resolve) => server.close(resolve));
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

    const requests = seen.filter((s) => s.path.startsWith('/api/v1/namespaces/'));
    const watch = seen.find((s) => s.path === '/api/v1/pods');
    expect(requests).toHaveLength(6);
    expect(new Set(requests.map((r) => r.httpVersion))).toEqual(new Set(['1.1']));
    expect(watch?.httpVersion).toBe('1.1');
    expect(requests.map((r) => r.connection)).not.toContain(watch?.connection);
    expect(events).toEqual(['ADDED p']);
  });
});

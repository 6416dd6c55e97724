// CciClient's connections to a server that offers HTTP/2: HTTP/1.1 throughout, requests on a
// pool of 64, and the watch and each log stream on a connection of their own, so that open
// `kubectl logs -f` streams never hold what pod creations need.
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CciClient } from '../../src/cci/client.ts';
import { createCa, issueCert } from '../../src/tls/ca.ts';

interface Seen {
  path: string;
  httpVersion: string;
  connection: number;
}

const seen: Seen[] = [];
const held: http2.Http2ServerResponse[] = [];
let server: http2.Http2SecureServer;
let client: CciClient;

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
    // Log streams and the watch stay open (a user following a log; CCI's watch).
    if (url.pathname.endsWith('/log') || url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('line\n');
      held.push(res);
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ apiVersion: 'cci/v2', kind: 'Pod', metadata: { name: url.pathname.split('/').at(-1) }, spec: { containers: [] } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  client = new CciClient({ endpoint: `https://127.0.0.1:${port}`, token: 't', namespace: 'ns', ca: ca.certPem });
});

afterAll(async () => {
  for (const r of held) r.end();
  await client.close();
  await new Promise((resolve) => server.close(resolve));
});

describe('CciClient connections', () => {
  it('speaks HTTP/1.1, and 70 open log streams and the watch leave requests their own connections', async () => {
    const abort = new AbortController();
    const watching = client.watchPods('1', () => undefined, abort.signal).catch(() => undefined);
    const logs = await Promise.all(Array.from({ length: 70 }, (_, i) => client.logs(`p${i}`, { follow: true })));
    // More open streams than the request pool has connections: requests still get through.
    const pods = await Promise.all(Array.from({ length: 5 }, (_, i) => client.getPod(`q${i}`)));
    expect(pods.map((p) => p.metadata.name)).toEqual(['q0', 'q1', 'q2', 'q3', 'q4']);

    const streams = seen.filter((s) => s.path.endsWith('/log') || s.path.endsWith('/pods'));
    const requests = seen.filter((s) => /\/pods\/q\d$/.test(s.path));
    expect(streams).toHaveLength(71);
    expect(new Set(seen.map((s) => s.httpVersion))).toEqual(new Set(['1.1']));
    expect(new Set(streams.map((s) => s.connection)).size).toBe(71);
    const streamConnections = new Set(streams.map((s) => s.connection));
    expect(requests.filter((r) => streamConnections.has(r.connection))).toEqual([]);
    for (const l of logs) l.destroy();
    abort.abort();
    await watching;
  });
});

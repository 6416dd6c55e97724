// CciClient's connections to a server that offers HTTP/2: HTTP/1.1 throughout, requests on a
// pool of 64, and the watch and each log stream on a connection of their own, so that open
// `kubectl logs -f` streams never hold what pod creations need.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CciClient } from '../../src/cci/client.ts';
import { startH2RecordingServer, type RecordingServer } from '../support/h2-recording-server.ts';

let server: RecordingServer;
let client: CciClient;

beforeAll(async () => {
  server = await startH2RecordingServer((url, res) => {
    // Log streams and the watch stay open (a user following a log; CCI's watch).
    if (url.pathname.endsWith('/log') || url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('line\n');
      return 'held';
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ apiVersion: 'cci/v2', kind: 'Pod', metadata: { name: url.pathname.split('/').at(-1) }, spec: { containers: [] } }));
  });
  client = new CciClient({ endpoint: server.url, token: 't', namespace: 'ns', ca: server.caPem });
});

afterAll(async () => {
  await client.close();
  await server.close();
});

describe('CciClient connections', () => {
  it('speaks HTTP/1.1, and 70 open log streams and the watch leave requests their own connections', async () => {
    const abort = new AbortController();
    const watching = client.watchPods('1', () => undefined, abort.signal).catch(() => undefined);
    const logs = await Promise.all(Array.from({ length: 70 }, (_, i) => client.logs(`p${i}`, { follow: true })));
    // More open streams than the request pool has connections: requests still get through.
    const pods = await Promise.all(Array.from({ length: 5 }, (_, i) => client.getPod(`q${i}`)));
    expect(pods.map((p) => p.metadata.name)).toEqual(['q0', 'q1', 'q2', 'q3', 'q4']);

    const seen = server.seen;
    const streams = seen.filter((s) => s.path.endsWith('/log') || s.path.endsWith('/pods'));
    const requests = seen.filter((s) => /\/pods\/q\d$/.test(s.path));
    expect(streams).toHaveLength(71);
    expect(new Set(seen.map((s) => s.httpVersion))).toEqual(new Set(['1.1']));
    const streamConnections = new Set(streams.map((s) => s.connection));
    expect(streamConnections.size).toBe(71);
    expect(requests.filter((r) => streamConnections.has(r.connection))).toEqual([]);
    for (const l of logs) l.destroy();
    abort.abort();
    await watching;
  });
});

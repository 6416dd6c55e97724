// A loopback HTTPS server that offers HTTP/2 beside HTTP/1.1 (as kube-apiserver and CCI's
// gateway may) and records, per request, the protocol a client chose and which TCP connection
// carried it: for the tests of how our clients spread requests and streams over connections.
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createCa, issueCert } from '../../src/tls/ca.ts';

export interface SeenRequest {
  path: string;
  httpVersion: string;
  /** Which TCP connection carried it, numbered from 0 in the order they first appeared. */
  connection: number;
}

export interface RecordingServer {
  url: string;
  /** The CA that issued the server's certificate. */
  caPem: string;
  seen: SeenRequest[];
  /** Ends the responses held open by the handler, then closes the server. */
  close(): Promise<void>;
}

/** `handle` answers each request; a response it returns `'held'` for stays open until close(). */
export async function startH2RecordingServer(handle: (url: URL, res: http2.Http2ServerResponse) => 'held' | void): Promise<RecordingServer> {
  const ca = await createCa('test-ca');
  const pair = await issueCert(ca, { commonName: '127.0.0.1', ipAddresses: ['127.0.0.1'], usage: 'server' });
  const seen: SeenRequest[] = [];
  const held: http2.Http2ServerResponse[] = [];
  const connections = new WeakMap<object, number>();
  let next = 0;
  const server = http2.createSecureServer({ cert: pair.certPem, key: pair.keyPem, allowHTTP1: true }, (req, res) => {
    const socket = req.httpVersion === '2.0' ? req.stream.session!.socket : req.socket;
    if (!connections.has(socket)) connections.set(socket, next++);
    const url = new URL(req.url, 'https://x');
    seen.push({ path: url.pathname, httpVersion: req.httpVersion, connection: connections.get(socket)! });
    if (handle(url, res) === 'held') held.push(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caPem: ca.certPem,
    seen,
    async close() {
      for (const res of held) res.end();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

// A client that lives inside a network namespace (a burst pod's, in the networking e2e) and
// makes connections there on the test's behalf, driven over HTTP from the host namespace:
//   GET /tcp?host&port             first line the server sent, or the error code, and the time taken
//   GET /udp?host&port&payload[&sourcePort]   the reply, or "timeout", and the address:port it came from
//   GET /transfer/start?host&port&bytes   a long paced echo transfer on one connection (returns an id)
//   GET /transfer/result?id        its progress: sent, received, ended, error
//   GET /dns?host&port&name&transport   the A records of name (udp or tcp), or the error
// Usage: node netns-client.ts <listen address> <port>; prints "ready".
import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import { query } from '../../src/local/dns/client.ts';
import { TYPE } from '../../src/local/dns/wire.ts';

interface Transfer {
  firstLine: string;
  sent: number;
  received: number;
  ended: boolean;
  error: string;
}
const transfers = new Map<string, Transfer>();

function tcpFirstLine(host: string, port: number): Promise<{ line: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (line: string): void => {
      resolve({ line, ms: performance.now() - t0 });
      s.destroy();
    };
    s.setTimeout(5000, () => done('TIMEOUT'));
    s.once('data', (d) => done(d.toString().split('\n')[0]!));
    s.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

/** From a fresh socket, on sourcePort when given (0: any), as a long-lived client socket would keep it. */
function udp(host: string, port: number, payload: string, sourcePort: number): Promise<{ reply: string; from: string }> {
  return new Promise((resolve) => {
    const u = dgram.createSocket('udp4');
    u.bind(sourcePort);
    const timer = setTimeout(() => {
      u.close();
      resolve({ reply: 'timeout', from: '' });
    }, 1000);
    u.once('message', (m, r) => {
      clearTimeout(timer);
      u.close();
      resolve({ reply: m.toString(), from: `${r.address}:${r.port}` });
    });
    u.send(payload, port, host);
  });
}

/** Sends `bytes` in 32 KiB chunks every 10 ms, then half-closes; counts the echo until the server's FIN. */
function startTransfer(id: string, host: string, port: number, bytes: number): void {
  const t: Transfer = { firstLine: '', sent: 0, received: 0, ended: false, error: '' };
  transfers.set(id, t);
  const s = net.connect({ host, port, allowHalfOpen: true });
  let greeting = true;
  s.on('data', (d) => {
    if (greeting) {
      const nl = d.indexOf(10);
      t.firstLine = d.subarray(0, nl).toString();
      d = d.subarray(nl + 1);
      greeting = false;
    }
    t.received += d.length;
  });
  s.on('end', () => {
    t.ended = true;
  });
  s.on('error', (err) => {
    t.error = err.message;
  });
  s.once('connect', () => {
    const chunk = Buffer.alloc(32 * 1024, 120);
    const timer = setInterval(() => {
      if (t.error) return clearInterval(timer);
      const n = Math.min(chunk.length, bytes - t.sent);
      s.write(chunk.subarray(0, n));
      t.sent += n;
      if (t.sent >= bytes) {
        clearInterval(timer);
        s.end();
      }
    }, 10);
  });
}

const [listenHost, listenPort] = process.argv.slice(2);
http.createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://agent');
  const q = (k: string): string => url.searchParams.get(k) ?? '';
  let body: unknown;
  if (url.pathname === '/tcp') body = await tcpFirstLine(q('host'), Number(q('port')));
  else if (url.pathname === '/udp') body = await udp(q('host'), Number(q('port')), q('payload'), Number(q('sourcePort')));
  else if (url.pathname === '/dns') {
    const transport = q('transport') === 'tcp' ? 'tcp' : 'udp';
    body = await query({ host: q('host'), port: Number(q('port')) }, q('name'), TYPE.A, { transport })
      .then((m) => ({ rcode: m.header.rcode, answers: m.answers.map((a) => a.data) }))
      .catch((err: Error) => ({ error: err.message }));
  } else if (url.pathname === '/transfer/start') {
    const id = String(transfers.size + 1);
    startTransfer(id, q('host'), Number(q('port')), Number(q('bytes')));
    body = { id };
  } else if (url.pathname === '/transfer/result') body = transfers.get(q('id')) ?? null;
  res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? null));
}).listen(Number(listenPort), listenHost, () => console.log('ready'));

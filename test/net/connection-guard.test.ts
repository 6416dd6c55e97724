import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { guardConnections, guardedServerOptions, type ConnectionGuard } from '../../src/net/connection-guard.ts';

let server: http.Server | undefined;
const sockets: net.Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

async function start(maxUnadmitted: number, headerTimeoutMs: number): Promise<{ port: number; guard: ConnectionGuard }> {
  server = http.createServer(guardedServerOptions({ headerTimeoutMs, requestTimeoutMs: headerTimeoutMs, maxUnadmitted }), (req, res) => {
    if (req.headers.authorization === 'Bearer ok') guard.admit(req.socket);
    res.end('ok');
  });
  const guard = guardConnections(server, { headerTimeoutMs, requestTimeoutMs: headerTimeoutMs, maxUnadmitted });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, guard };
}

/** A connection that sends half a request and then nothing; resolves once the server closed it. */
function halfSent(port: number): { closed: Promise<number> } {
  const s = net.connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: '));
  sockets.push(s);
  s.on('error', () => undefined);
  s.resume(); // reads the server's 408 and EOF, so 'close' follows the server's close
  const opened = Date.now();
  return { closed: new Promise((r) => s.once('close', () => r(Date.now() - opened))) };
}

describe('connection guard', () => {
  it('closes connections past the cap on arrival, and the others at the header deadline', async () => {
    const { port, guard } = await start(5, 400);
    const conns = Array.from({ length: 20 }, () => halfSent(port));
    await expect.poll(() => guard.refused).toBe(15);
    expect(guard.unadmitted).toBe(5);
    const lifetimes = await Promise.all(conns.map((c) => c.closed));
    // The 5 admitted to wait are closed by the header deadline (checked every 100 ms), never kept.
    expect(lifetimes.filter((ms) => ms >= 350).length).toBe(5);
    expect(guard.unadmitted).toBe(0);
  });

  it('takes an authenticated connection out of the count, so it never blocks newcomers', async () => {
    const { port, guard } = await start(1, 60_000);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = (auth: string): Promise<number> =>
      new Promise((resolve, reject) => {
        http.get({ port, host: '127.0.0.1', agent, headers: { authorization: auth } }, (res) => {
          res.resume();
          res.once('end', () => resolve(res.statusCode!));
        }).once('error', reject);
      });
    expect(await get('Bearer ok')).toBe(200);
    expect(guard.unadmitted).toBe(0);
    const slow = halfSent(port); // takes the one slot
    await expect.poll(() => guard.unadmitted).toBe(1);
    expect(await get('Bearer ok')).toBe(200); // the kept-alive admitted connection still works
    const third = halfSent(port);
    expect(await third.closed).toBeLessThan(5_000);
    expect(guard.refused).toBe(1);
    slow.closed.catch(() => undefined);
    agent.destroy();
  });

  // CI failure (stop 19): the server's deadline closed the waiting connections and their peer,
  // seeing the FIN, connected again before Node emitted 'close' (its close phase runs after the
  // poll that accepts): the newcomer met a cap still counting closed sockets and was reset.
  it('does not count connections already destroyed whose close event is still to come', () => {
    const bare = new net.Server();
    const guard = guardConnections(bare, { headerTimeoutMs: 1_000, requestTimeoutMs: 1_000, maxUnadmitted: 1 });
    const old = new net.Socket();
    bare.emit('connection', old);
    expect(guard.unadmitted).toBe(1);
    old.destroy(); // 'close' follows on a later tick
    const newcomer = new net.Socket();
    sockets.push(newcomer);
    bare.emit('connection', newcomer);
    expect(newcomer.destroyed).toBe(false);
    expect(guard.refused).toBe(0);
    expect(guard.unadmitted).toBe(1);
  });
});

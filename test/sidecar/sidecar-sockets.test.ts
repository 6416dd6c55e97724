// The sidecar end to end on real sockets in one process: ClusterIPs are loopback addresses
// (127.x, already local, so no address is added), the endpoints are echo servers, and clients
// send where the DNAT rules the sidecar asked for would have sent them (no nftables here).
import { createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.ts';
import { newNodeSecret, podCredential, activePodCredentials } from '../../src/network/service-directory/credentials.ts';
import type { DirService, DirSlice } from '../../src/network/service-directory/protocol.ts';
import { startStandaloneDirectory, type StandaloneDirectory } from '../../src/network/service-directory/server.ts';
import { DirectoryState } from '../../src/network/service-directory/state.ts';
import type { AddressManager } from '../../src/sidecar/addresses.ts';
import { Proxier } from '../../src/sidecar/proxier.ts';
import { startSidecar, type RunningSidecar } from '../../src/sidecar/sidecar.ts';
import { RecordingNat } from './recording-nat.ts';

const log = createLogger('silent', 'test');
const noAddresses: AddressManager = { add: async () => {}, remove: async () => {} };
const clusterIP = `127.${100 + Math.floor(Math.random() * 100)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
const nat = new RecordingNat();
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tcpEcho(name: string): Promise<number> {
  const server = net.createServer((s) => {
    s.write(`${name}\n`);
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(r)));
  return (server.address() as net.AddressInfo).port;
}

function svc(name: string, port: number, protocol: 'TCP' | 'UDP' = 'TCP', affinitySeconds: number | null = null): DirService {
  return { namespace: 'default', name, clusterIPs: [clusterIP], ports: [{ name: 'p', protocol, port }], affinitySeconds };
}
function slice(service: string, port: number, protocol: 'TCP' | 'UDP' = 'TCP'): DirSlice {
  return {
    namespace: 'default', name: `${service}-1`, serviceName: service, addressType: 'IPv4',
    endpoints: [{ address: '127.0.0.1', ready: true, serving: true, terminating: false }], ports: [{ name: 'p', protocol, port }],
  };
}

async function setup(opts: { uid?: string; credentialFor?: string } = {}): Promise<{ state: DirectoryState; dir: StandaloneDirectory; sidecar: RunningSidecar }> {
  const secret = newNodeSecret();
  const state = new DirectoryState();
  state.markSynced();
  const dir = await startStandaloneDirectory({ state, log, credentials: activePodCredentials(secret, (u) => u === 'pod-a') });
  cleanups.push(() => dir.close());
  const sidecar = await startSidecar({
    directoryUrl: dir.url, podUid: opts.uid ?? 'pod-a', credential: podCredential(secret, opts.credentialFor ?? 'pod-a'),
    proxy: new Proxier({ addresses: noAddresses, nat, log, udpIdleTimeoutMs: 300 }), log, health: { host: '127.0.0.1', port: 0 },
  });
  cleanups.push(() => sidecar.stop());
  return { state, dir, sidecar };
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Connects to the ClusterIP and returns the first line (the endpoint's name), or the error code. */
function firstLine(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: clusterIP, port: nat.target(clusterIP, port) });
    s.once('data', (d) => {
      resolve(d.toString().split('\n')[0]!);
      s.destroy();
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

describe('sidecar (userspace mode) on real sockets', () => {
  it('forwards TCP, moves past a dead endpoint, resets at once with no endpoints, and reports health', async () => {
    const { state, sidecar } = await setup();
    expect(sidecar.healthy).toBe(false);
    const a = await tcpEcho('a');
    const dead = await tcpEcho('dead');
    const deadServerCleanup = cleanups.pop()!;
    await deadServerCleanup(); // nothing listens on `dead` now: dials there fail fast
    state.setService('default/web', svc('web', 8080));
    state.setSlice('default/web-1', {
      ...slice('web', 0),
      endpoints: [
        { address: '127.0.0.1', ready: true, serving: true, terminating: false },
      ],
      ports: [{ name: 'p', protocol: 'TCP', port: a }],
    });
    await until('healthy', async () => {
      const res = await fetch(`http://127.0.0.1:${sidecar.healthPort}/`);
      return res.status === 200;
    });
    expect(await firstLine(8080)).toBe('a');
    // Two slices, one endpoint dead: every connection still reaches `a`.
    state.setSlice('default/web-2', { ...slice('web', dead), name: 'web-2' });
    await until('two backends', async () => sidecar.proxy.servicePortCount === 1);
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 4; i++) expect(await firstLine(8080)).toBe('a');
    state.setSlice('default/web-1', null);
    state.setSlice('default/web-2', null);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    expect(await firstLine(8080)).toBe('ECONNRESET');
    expect(Date.now() - t0).toBeLessThan(500);
    state.setService('default/web', null);
    await until('listener removed', () => sidecar.proxy.servicePortCount === 0);
    expect(await firstLine(8080)).toBe('ECONNREFUSED');
  });

  it('carries 16 MiB each way intact to a client that reads slowly, and passes half-close on', async () => {
    const { state } = await setup();
    const port = await tcpEcho('e');
    state.setService('default/bulk', svc('bulk', 8081));
    state.setSlice('default/bulk-1', slice('bulk', port));
    const payload = randomBytes(16 << 20);
    const echoed = await until('the Service', () => nat.target(clusterIP, 8081) !== 8081).then(() => new Promise<Buffer>((resolve, reject) => {
      const s = net.connect({ host: clusterIP, port: nat.target(clusterIP, 8081) });
      const chunks: Buffer[] = [];
      // Read nothing for a while, then stop now and then, so that every socket buffer on the
      // way fills and the sidecar's writes queue in both directions: a chunk must stay intact
      // until it was written (the backend→client buffer is reused, client→backend chunks freed).
      s.pause();
      setTimeout(() => s.resume(), 300);
      s.on('data', (d) => {
        chunks.push(d);
        if (chunks.length % 8 === 0) {
          s.pause();
          setTimeout(() => s.resume(), 2);
        }
      });
      s.once('end', () => resolve(Buffer.concat(chunks)));
      s.once('error', reject);
      s.end(payload); // the echo server ends its side once ours ended: half-close both ways
    }));
    expect(echoed.subarray(0, 2).toString()).toBe('e\n');
    expect(echoed.length).toBe(payload.length + 2);
    expect(createHash('sha256').update(echoed.subarray(2)).digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'));
  });

  it('proxies UDP per client flow, leaving a backend that refuses', async () => {
    const { state } = await setup();
    const echo = dgram.createSocket('udp4');
    echo.on('message', (m, r) => echo.send(Buffer.concat([Buffer.from('echo:'), m]), r.port, r.address));
    await new Promise<void>((r) => echo.bind(0, '127.0.0.1', r));
    cleanups.push(() => echo.close());
    const closed = dgram.createSocket('udp4');
    await new Promise<void>((r) => closed.bind(0, '127.0.0.1', r));
    const closedPort = closed.address().port;
    closed.close(); // nothing listens there now: datagrams to it get ICMP port unreachable
    state.setService('default/dns', svc('dns', 5353, 'UDP'));
    // The refusing backend comes first in round robin order: the first flow goes there.
    state.setSlice('default/dns-0', { ...slice('dns', closedPort, 'UDP'), name: 'dns-0' });
    state.setSlice('default/dns-1', slice('dns', echo.address().port, 'UDP'));
    const client = dgram.createSocket('udp4');
    cleanups.push(() => client.close());
    const replies: string[] = [];
    client.on('message', (m) => replies.push(m.toString()));
    await until('udp echo', () => {
      client.send('ping', nat.target(clusterIP, 5353, 'UDP'), clusterIP);
      return replies.length > 0;
    });
    expect(replies[0]).toBe('echo:ping');
    // A new flow (another client port) sends a burst before its upstream socket is connected.
    state.setSlice('default/dns-0', null);
    await new Promise((r) => setTimeout(r, 100));
    const burst = dgram.createSocket('udp4');
    cleanups.push(() => burst.close());
    const got: string[] = [];
    burst.on('message', (m) => got.push(m.toString()));
    for (let i = 0; i < 5; i++) burst.send(`b${i}`, nat.target(clusterIP, 5353, 'UDP'), clusterIP);
    await until('the burst echoed', () => got.length === 5);
    expect(got.sort()).toEqual(['echo:b0', 'echo:b1', 'echo:b2', 'echo:b3', 'echo:b4']);
  });

  it("refuses a sidecar presenting another pod's credential", async () => {
    const { sidecar, dir } = await setup({ uid: 'pod-a', credentialFor: 'pod-b' });
    await new Promise((r) => setTimeout(r, 300));
    expect(sidecar.healthy).toBe(false);
    expect(dir.directory.connections).toBe(0);
  });
});

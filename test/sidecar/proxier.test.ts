import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.ts';
import type { AddressManager } from '../../src/sidecar/addresses.ts';
import { preferredListenerPort } from '../../src/sidecar/dnat.ts';
import { Proxier } from '../../src/sidecar/proxier.ts';
import type { ForwardingEntry } from '../../src/sidecar/rules.ts';
import { RecordingNat } from './recording-nat.ts';

const log = createLogger('silent', 'test');
const ip = `127.${100 + Math.floor(Math.random() * 100)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
const noAddresses: AddressManager = { add: async () => {}, remove: async () => {} };
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function entry(port: number, protocol: 'TCP' | 'UDP' = 'TCP'): ForwardingEntry {
  return { clusterIP: ip, port, protocol, servicePort: `default/s${port}:`, affinitySeconds: null, backends: [] };
}

function connectCode(port: number): Promise<string> {
  return new Promise((resolve) => {
    net.connect(port, ip).once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? '')).once('data', () => resolve('data'));
  });
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

describe('Proxier', () => {
  it('retries a listener whose address could not be added, without waiting for a new table', async () => {
    let failures = 1;
    const added: string[] = [];
    const removed: string[] = [];
    const addresses: AddressManager = {
      add: async (ips) => {
        if (failures-- > 0) throw new Error('RTNETLINK answers: Operation not permitted');
        added.push(...ips);
      },
      remove: async (ips) => {
        removed.push(...ips);
      },
    };
    const nat = new RecordingNat();
    const proxier = new Proxier({ addresses, nat, log, retryMs: 50 });
    await proxier.apply(new Map([['TCP/a', entry(18_400)]]));
    expect(proxier.ready).toBe(false);
    expect(nat.rules).toEqual([]);
    await until(() => proxier.ready);
    expect(proxier.ready).toBe(true);
    expect(added).toEqual([ip]);
    // Up and refusing at once: no backends.
    expect(await connectCode(nat.target(ip, 18_400))).toBe('ECONNRESET');
    await proxier.close();
    expect(removed).toEqual([ip]);
    expect(nat.rules).toEqual([]);
    expect(proxier.servicePortCount).toBe(0);
  });

  it('never binds the Service port: an app already on ClusterIP:port keeps it and the Service is DNATed elsewhere', async () => {
    const app = net.createServer((s) => s.end('app\n'));
    await new Promise<void>((r) => app.listen(18_401, ip, r));
    cleanups.push(() => new Promise((r) => app.close(r)));
    const nat = new RecordingNat();
    const proxier = new Proxier({ addresses: noAddresses, nat, log });
    cleanups.push(() => proxier.close());
    await proxier.apply(new Map([['TCP/a', entry(18_401)], ['UDP/a', entry(18_401, 'UDP')]]));
    expect(proxier.ready).toBe(true);
    expect(nat.rules.map(({ protocol, port }) => `${protocol}/${port}`)).toEqual(['TCP/18401', 'UDP/18401']);
    expect(nat.rules.every((r) => r.clusterIP === ip && r.localPort !== 18_401 && r.localPort > 0)).toBe(true);
    expect(await connectCode(nat.target(ip, 18_401))).toBe('ECONNRESET'); // the sidecar's listener: no backends
  });

  it('keeps the port of an unchanged entry across updates, and is not ready while the rules cannot be installed', async () => {
    const nat = new RecordingNat();
    const proxier = new Proxier({ addresses: noAddresses, nat, log, retryMs: 50 });
    cleanups.push(() => proxier.close());
    await proxier.apply(new Map([['TCP/a', entry(18_402)]]));
    const first = nat.target(ip, 18_402);
    nat.failures = 1;
    await proxier.apply(new Map([['TCP/a', { ...entry(18_402), backends: [{ address: '127.0.0.1', port: 1 }] }], ['TCP/b', entry(18_403)]]));
    expect(proxier.ready).toBe(false);
    await until(() => proxier.ready);
    expect(proxier.ready).toBe(true);
    expect(nat.target(ip, 18_402)).toBe(first);
    expect(nat.rules).toHaveLength(2);
    await proxier.apply(new Map([['TCP/b', entry(18_403)]]));
    expect(nat.rules.map((r) => r.port)).toEqual([18_403]);
    expect(await connectCode(first)).toBe('ECONNREFUSED');
  });

  it('a restarted proxier takes the same ports again (conntrack bindings stay valid), else any free one', async () => {
    const key = `UDP/${ip}:18404`;
    const table = new Map([[key, entry(18_404, 'UDP')], [`TCP/${ip}:18404`, entry(18_404)]]);
    const nat = new RecordingNat();
    const before = new Proxier({ addresses: noAddresses, nat, log });
    await before.apply(table);
    expect(nat.target(ip, 18_404, 'UDP')).toBe(preferredListenerPort(key));
    await before.close();
    const after = new Proxier({ addresses: noAddresses, nat, log });
    cleanups.push(() => after.close());
    await after.apply(table);
    expect(nat.target(ip, 18_404, 'UDP')).toBe(preferredListenerPort(key));
    expect(nat.target(ip, 18_404, 'TCP')).toBe(preferredListenerPort(`TCP/${ip}:18404`));
    // Its preferred port taken by something else: the listener still starts, on another port.
    const squatter = net.createServer();
    const taken = preferredListenerPort(`TCP/${ip}:18405`);
    await new Promise<void>((r) => squatter.listen(taken, ip, r));
    cleanups.push(() => new Promise((r) => squatter.close(r)));
    const udpSquatter = dgram.createSocket('udp4');
    const udpTaken = preferredListenerPort(`UDP/${ip}:18405`);
    await new Promise<void>((r) => udpSquatter.bind(udpTaken, ip, r));
    cleanups.push(() => udpSquatter.close());
    await after.apply(new Map([...table, [`TCP/${ip}:18405`, entry(18_405)], [`UDP/${ip}:18405`, entry(18_405, 'UDP')]]));
    expect(after.ready).toBe(true);
    expect(nat.target(ip, 18_405)).not.toBe(taken);
    expect(nat.target(ip, 18_405, 'UDP')).not.toBe(udpTaken);
    expect(await connectCode(nat.target(ip, 18_405))).toBe('ECONNRESET');
  });
});

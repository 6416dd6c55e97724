import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.ts';
import type { AddressManager } from '../../src/sidecar/addresses.ts';
import { Proxier } from '../../src/sidecar/proxier.ts';
import type { ForwardingEntry } from '../../src/sidecar/rules.ts';

const log = createLogger('silent', 'test');
const ip = `127.${100 + Math.floor(Math.random() * 100)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;

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
    const proxier = new Proxier({ addresses, log, retryMs: 50 });
    const entry: ForwardingEntry = { clusterIP: ip, port: 18_400, protocol: 'TCP', servicePort: 'default/a:', affinitySeconds: null, backends: [] };
    await proxier.apply(new Map([['TCP/a', entry]]));
    expect(proxier.ready).toBe(false);
    const end = Date.now() + 3000;
    while (!proxier.ready && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(proxier.ready).toBe(true);
    expect(added).toEqual([ip]);
    // Up and refusing at once: no backends.
    const code = await new Promise<string>((resolve) => {
      net.connect(18_400, ip).once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? '')).once('data', () => resolve('data'));
    });
    expect(code).toBe('ECONNRESET');
    await proxier.close();
    expect(removed).toEqual([ip]);
    expect(proxier.listenerCount).toBe(0);
  });
});

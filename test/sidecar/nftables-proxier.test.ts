import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.ts';
import type { StaleUdpFlows } from '../../src/sidecar/conntrack.ts';
import { NftablesProxier } from '../../src/sidecar/nftables-proxier.ts';
import { entryKey, type Backend, type ForwardingEntry } from '../../src/sidecar/rules.ts';

const log = createLogger('silent', 'test');

function dns(backends: Backend[]): Map<string, ForwardingEntry> {
  return new Map([[entryKey('10.96.0.10', 53, 'UDP'), { clusterIP: '10.96.0.10', port: 53, protocol: 'UDP', servicePort: 'kube-system/kube-dns:dns', affinitySeconds: null, backends }]]);
}
const a = { address: '198.18.0.11', port: 53 };
const b = { address: '198.18.0.12', port: 53 };

function fakes(failures = 0): { scripts: string[]; deleted: StaleUdpFlows[]; proxier: NftablesProxier } {
  const scripts: string[] = [];
  const deleted: StaleUdpFlows[] = [];
  let failing = failures;
  const proxier = new NftablesProxier({
    log, retryMs: 20,
    nft: async (script) => {
      if (failing-- > 0) throw new Error('Error: Could not process rule: Operation not permitted');
      scripts.push(script);
    },
    conntrack: async (f) => void deleted.push(f),
  });
  return { scripts, deleted, proxier };
}

describe('NftablesProxier', () => {
  it('is ready once the table is installed, and deletes the UDP flows of an endpoint after the rules stopped choosing it', async () => {
    const { scripts, deleted, proxier } = fakes();
    expect(proxier.ready).toBe(false);
    await proxier.apply(dns([a, b]));
    expect(proxier.ready).toBe(true);
    expect(proxier.servicePortCount).toBe(1);
    expect(deleted).toEqual([]);
    await proxier.apply(dns([b]));
    expect(scripts).toHaveLength(2);
    expect(scripts[1]).not.toContain('198.18.0.11');
    expect(deleted).toEqual([{ clusterIP: '10.96.0.10', port: 53, backend: a }]);
  });

  it('retries a table nft refused, and is not ready until it is in', async () => {
    const { scripts, proxier } = fakes(2);
    await proxier.apply(dns([a]));
    expect(proxier.ready).toBe(false);
    await expect.poll(() => proxier.ready).toBe(true);
    expect(scripts).toHaveLength(1);
    expect(scripts[0]).toMatch(/^add table ip burstlet\ndelete table ip burstlet\n/); // still the first: replaces all
  });

  it('on close removes its tables, after the flows of what it served', async () => {
    const { scripts, deleted, proxier } = fakes();
    await proxier.apply(dns([a]));
    await proxier.close();
    expect(deleted).toEqual([{ clusterIP: '10.96.0.10', port: 53 }]);
    expect(scripts.at(-1)).toBe('add table ip burstlet\ndelete table ip burstlet\nadd table ip6 burstlet\ndelete table ip6 burstlet\n');
  });
});

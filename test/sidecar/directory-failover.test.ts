// After a leader handover the directory is served by another replica: a sidecar whose directory
// stops answering tries the endpoints of the replicas' Service, which the directory streamed to it.
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.ts';
import { activePodCredentials, newNodeSecret, podCredential } from '../../src/network/service-directory/credentials.ts';
import type { DirSlice } from '../../src/network/service-directory/protocol.ts';
import { startStandaloneDirectory, type StandaloneDirectory } from '../../src/network/service-directory/server.ts';
import { DirectoryState } from '../../src/network/service-directory/state.ts';
import { parseServiceRef } from '../../src/network/service-ref.ts';
import { directoryCandidates } from '../../src/sidecar/directory-candidates.ts';
import { DirectoryClient } from '../../src/sidecar/directory-client.ts';

const log = createLogger('silent', 'test');
const ref = { namespace: 'kube-system', name: 'burstlet-directory' };
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

function replicas(addresses: { address: string; ready: boolean }[], port = 10270, name = 'burstlet-directory-abc'): DirSlice {
  return {
    namespace: 'kube-system', name, serviceName: 'burstlet-directory', addressType: 'IPv4',
    endpoints: addresses.map((a) => ({ ...a, serving: a.ready, terminating: false })),
    ports: [{ name: 'svc-directory', protocol: 'TCP', port }],
  };
}

describe('directoryCandidates', () => {
  const primary = 'ws://198.18.0.5:10270/burstlet/v1/service-directory';

  it('tries the given URL first, then each ready replica on the Service\'s port, same scheme and path, each once', () => {
    const slices = [
      replicas([{ address: '198.18.0.5', ready: true }, { address: '198.18.0.6', ready: true }, { address: '198.18.0.7', ready: false }]),
      { ...replicas([{ address: '198.18.0.8', ready: true }]), namespace: 'default' },
      replicas([{ address: 'fd00::9', ready: true }], 10270, 'burstlet-directory-v6'),
    ];
    expect(directoryCandidates(primary, slices, ref)).toEqual([
      primary,
      'ws://198.18.0.6:10270/burstlet/v1/service-directory',
      'ws://[fd00::9]:10270/burstlet/v1/service-directory',
    ]);
    expect(directoryCandidates(primary, slices, undefined)).toEqual([primary]);
  });

  it.each(['burstlet-directory', 'kube-system/', '/x', 'Kube-System/x', 'a/b/c'])('refuses %j as a Service', (raw) => {
    expect(() => parseServiceRef(raw)).toThrow('namespace/name');
  });
});

describe('DirectoryClient after a leader handover', () => {
  it('moves to the replica that now serves the directory when the one it was given is gone, and takes its state', async () => {
    const secret = newNodeSecret();
    const credentials = activePodCredentials(secret, (uid) => uid === 'pod-a');
    const start = async (state: DirectoryState): Promise<StandaloneDirectory> => {
      const d = await startStandaloneDirectory({ state, log, credentials });
      closers.push(() => d.close());
      return d;
    };
    const next = new DirectoryState();
    next.setService('default/after', { namespace: 'default', name: 'after', clusterIPs: ['10.96.0.2'], ports: [{ name: 'p', protocol: 'TCP', port: 80 }], affinitySeconds: null });
    next.markSynced();
    const standby = await start(next);
    const first = new DirectoryState();
    first.setSlice('kube-system/burstlet-directory-abc', replicas([{ address: '127.0.0.1', ready: true }], Number(new URL(standby.url).port)));
    first.markSynced();
    const leader = await start(first);

    const client = new DirectoryClient({
      url: leader.url, fallbackService: ref, podUid: 'pod-a', credential: podCredential(secret, 'pod-a'), log, onTable: () => {},
      minBackoffMs: 20, maxBackoffMs: 100,
    });
    client.start();
    closers.push(() => client.stop());
    await expect.poll(() => client.replica.slices.size).toBe(1);
    await leader.close();
    await expect.poll(() => client.replica.services.has('default/after'), { timeout: 5_000 }).toBe(true);
    expect(client.connected).toBe(true);
  });
});

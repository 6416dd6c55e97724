import { describe, expect, it } from 'vitest';
import { decodeDirectoryMessage, type DirService, type DirSlice } from '../../../src/network/service-directory/protocol.ts';
import { DirectoryState } from '../../../src/network/service-directory/state.ts';
import { DirectoryReplica } from '../../../src/sidecar/directory-client.ts';

const svc = (name: string, ip: string): DirService => ({
  namespace: 'default', name, clusterIPs: [ip], ports: [{ name: '', protocol: 'TCP', port: 80 }], affinitySeconds: null,
});
const slice = (name: string, addresses: string[]): DirSlice => ({
  namespace: 'default', name, serviceName: 'web', addressType: 'IPv4',
  endpoints: addresses.map((address) => ({ address, ready: true, serving: true, terminating: false })),
  ports: [{ name: '', protocol: 'TCP', port: 8080 }],
});
const decode = (bufs: Buffer[]) => bufs.map((b) => decodeDirectoryMessage(b.toString()));

describe('DirectoryState', () => {
  it('counts only changes a proxy can see, and encodes each delta once for every subscriber', () => {
    const state = new DirectoryState({ epoch: 'e1' });
    const seen: Buffer[][] = [[], []];
    state.subscribe((b) => seen[0]!.push(b));
    state.subscribe((b) => seen[1]!.push(b));
    state.setService('default/web', svc('web', '198.19.0.20'));
    state.setService('default/web', svc('web', '198.19.0.20')); // unchanged
    state.setSlice('default/web-1', slice('web-1', ['198.18.0.2']));
    state.setSlice('default/web-1', null);
    state.setSlice('default/gone', null); // never existed
    expect(state.revision).toBe(3);
    expect(seen[0]).toHaveLength(3);
    expect(seen[0]![0]).toBe(seen[1]![0]); // the very same bytes
    expect(decode(seen[0]!).map((m) => m.type === 'delta' && [m.revision, m.change.kind, m.change.key])).toEqual([
      [1, 'Service', 'default/web'], [2, 'EndpointSlice', 'default/web-1'], [3, 'EndpointSlice', 'default/web-1'],
    ]);
  });

  it.each<[string, string | undefined, string]>([
    ['no resume point', undefined, 'snapshot'],
    ['current revision', 'e1:4', 'nothing'],
    ['recent revision', 'e1:2', 'deltas 3,4'],
    ['revision older than the history', 'e1:0', 'snapshot'],
    ['another epoch (burstlet restarted)', 'e0:4', 'snapshot'],
    ['a revision from the future', 'e1:9', 'snapshot'],
    ['garbage', 'nonsense', 'snapshot'],
  ])('catch-up from %s', (_name, from, expected) => {
    const state = new DirectoryState({ epoch: 'e1', historySize: 3 });
    for (let i = 1; i <= 4; i++) state.setService(`default/s${i}`, svc(`s${i}`, `198.19.0.${i}`));
    const msgs = decode(state.catchUp(from));
    const described = msgs.length === 0 ? 'nothing'
      : msgs[0]!.type === 'snapshot' ? 'snapshot' : `deltas ${msgs.map((m) => m.revision).join(',')}`;
    expect(described).toBe(expected);
  });

  it('a replica fed the snapshot then deltas, or resumed midway, ends equal to the state', () => {
    const state = new DirectoryState({ epoch: 'e1' });
    const live = new DirectoryReplica();
    state.setService('default/web', svc('web', '198.19.0.20'));
    for (const m of decode(state.catchUp(undefined))) expect(live.apply(m)).toBe(true);
    state.subscribe((b) => expect(live.apply(decodeDirectoryMessage(b.toString()))).toBe(true));
    const resumed = new DirectoryReplica();
    for (const m of decode(state.catchUp(undefined))) resumed.apply(m);
    state.setSlice('default/web-1', slice('web-1', ['198.18.0.2', '198.18.0.3']));
    state.setSlice('default/web-1', slice('web-1', ['198.18.0.3']));
    state.setService('default/db', svc('db', '198.19.0.21'));
    for (const m of decode(state.catchUp(`${resumed.epoch}:${resumed.revision}`))) expect(resumed.apply(m)).toBe(true);
    for (const r of [live, resumed]) {
      expect(r.revision).toBe(state.revision);
      expect([...r.services.values()]).toEqual(state.services());
      expect([...r.slices.values()]).toEqual(state.slices());
    }
    expect(resumed.table().get('TCP/198.19.0.20:80')?.backends).toEqual([{ address: '198.18.0.3', port: 8080 }]);
  });

  it('a replica refuses a delta that does not follow its revision', () => {
    const state = new DirectoryState({ epoch: 'e1' });
    const r = new DirectoryReplica();
    for (const m of decode(state.catchUp(undefined))) r.apply(m);
    const deltas: Buffer[] = [];
    state.subscribe((b) => deltas.push(b));
    state.setService('default/a', svc('a', '198.19.0.1'));
    state.setService('default/b', svc('b', '198.19.0.2'));
    expect(r.apply(decodeDirectoryMessage(deltas[1]!.toString()))).toBe(false);
    expect(r.revision).toBe(0);
  });

  it('waits for the first sync', async () => {
    const state = new DirectoryState();
    let synced = false;
    const done = state.whenSynced().then(() => (synced = true));
    await Promise.resolve();
    expect(synced).toBe(false);
    state.markSynced();
    await done;
    expect(synced).toBe(true);
  });
});

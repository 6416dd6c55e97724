import { describe, expect, it } from 'vitest';
import type { CciNetwork, CciQuota } from '../../../src/cci/types.ts';
import { CCI_NODE_BACKEND, DEFAULT_TAINT, nodeResources, SUBNET_IPS_LOW, subnetIPsCondition, subnetOverlap, unusableNetwork, type CciRoom } from '../../../src/cci-provider/node.ts';
import {
  KUBELET_VERSION, nodeObject, nodeStatus, nodeStatusChanged, parseTaint, type NodeConfig,
} from '../../../src/provider/node/node-object.ts';

const cfg: NodeConfig = { name: 'burst-1', backend: CCI_NODE_BACKEND, labels: { team: 'a' }, taints: [DEFAULT_TAINT], zone: 'z1', nodeIP: '10.0.0.9', hostname: '', kubeletPort: 10250 };

function quota(hard: Record<string, string>): CciQuota {
  return { apiVersion: 'cci/v2', kind: 'ResourceQuota', metadata: { name: 'q' }, status: { hard, used: {} } };
}
function network(freeIPs: number): CciNetwork {
  return { apiVersion: 'cci/v2', kind: 'Network', metadata: { name: 'n' }, spec: { cidr: '198.18.0.0/24', gateway: '198.18.0.1' }, status: { totalIPs: 253, usedIPs: 253 - freeIPs, freeIPs } };
}

describe('nodeObject', () => {
  it('has the DESIGN.md labels, zone, extra labels and taint', () => {
    const n = nodeObject(cfg);
    expect(n.metadata!.labels).toMatchObject({
      type: 'virtual-kubelet', 'kubernetes.io/role': 'agent', 'kubernetes.io/hostname': 'burst-1',
      'virtual-kubelet.io/provider': 'cci', 'topology.kubernetes.io/zone': 'z1', team: 'a',
    });
    expect(n.spec!.taints).toEqual([{ key: 'virtual-kubelet.io/provider', value: 'cci', effect: 'NoSchedule' }]);
  });

  it('has only an ordinary node\'s labels with virtualLabels false', () => {
    const n = nodeObject({ ...cfg, virtualLabels: false, labels: { 'node.kubernetes.io/instance-type': 'local.4u8g' }, taints: [] });
    expect(n.metadata!.labels).toEqual({
      'kubernetes.io/hostname': 'burst-1', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64',
      'topology.kubernetes.io/zone': 'z1', 'node.kubernetes.io/instance-type': 'local.4u8g',
    });
  });
});

describe('nodeResources', () => {
  it.each([
    ['quota is the limit', { cpu: '100', memory: '400Gi', pods: '50' }, 200, 0, '50'],
    ['free IPs are the limit', { cpu: '100', memory: '400Gi', pods: '500' }, 30, 0, '30'],
    ['IPs our pods hold count as ours', { cpu: '100', memory: '400Gi', pods: '500' }, 30, 20, '50'],
    ['no pods quota: IPs alone', { cpu: '8' }, 12, 1, '13'],
  ] as const)('%s', (_n, hard, free, ours, pods) => {
    const r = nodeResources({ quota: quota({ ...hard }), network: network(free), ourPods: ours });
    expect(r.capacity.pods).toBe(pods);
    expect(r.allocatable).toEqual(r.capacity);
    expect(r.capacity.cpu).toBe(hard.cpu);
  });
});

describe('the subnet running short of IPs (issue #16: twice the pods using it, as CCE advises)', () => {
  it.each([
    ['plenty', 200, 10, 'False'],
    ['exactly twice', 20, 10, 'False'],
    ['fewer than twice', 19, 10, 'True'],
    ['none free, no pods', 0, 0, 'False'],
    ['none free', 0, 1, 'True'],
  ] as const)('%s: %i free for %i pods → %s', (_n, free, ours, status) => {
    const c = subnetIPsCondition({ quota: quota({ cpu: '8' }), network: network(free), ourPods: ours });
    expect(c).toMatchObject({ type: SUBNET_IPS_LOW, status });
    expect(c.message).toContain(`subnet 198.18.0.0/24 has ${free} free IPs for ${ours} pods`);
  });

  it('keeps the condition as last judged while CCI cannot be read, with its transition time', () => {
    const low = nodeResources({ quota: quota({ cpu: '8' }), network: network(1), ourPods: 5 });
    const seen = nodeStatus(cfg, low, { reachable: true }, undefined, 't0');
    const unreachable = nodeStatus(cfg, undefined, { reachable: false, message: 'timeout' }, seen, 't1');
    expect(unreachable.conditions!.find((c) => c.type === SUBNET_IPS_LOW)).toMatchObject({ status: 'True', lastTransitionTime: 't0' });
  });
});

describe('subnetOverlap: a CCI subnet inside the cluster\'s own ranges is refused at start-up (issue #16)', () => {
  it.each([
    ['outside both', ['198.19.0.0/16'], ['10.244.0.0/16'], undefined],
    ['inside the Service range', ['198.18.0.0/16'], [], /198\.18\.0\.0\/24 \(Network n\) overlaps --service-cluster-ip-range=198\.18\.0\.0\/16/],
    ['containing a pod range', [], ['198.18.0.128/25'], /overlaps --cluster-cidr=198\.18\.0\.128\/25/],
    ['nothing given', [], [], undefined],
  ] as const)('%s', (_n, services, pods, message) => {
    const found = subnetOverlap(network(10), { 'service-cluster-ip-range': services, 'cluster-cidr': pods });
    if (message) expect(found).toMatch(message);
    else expect(found).toBeUndefined();
  });
});

describe('unusableNetwork: every Network of the CCI namespace is checked at start-up (issue #16)', () => {
  const shared = { ...network(10), metadata: { name: 'peer' }, spec: { ...network(10).spec, cidr: '198.18.9.0/24', sharedVpc: true } };
  const other = { ...network(10), metadata: { name: 'fixed' }, spec: { ...network(10).spec, cidr: '198.18.5.0/24' } };
  const none = { 'service-cluster-ip-range': [], 'cluster-cidr': [] };
  it.each([
    ['all usable', [network(10), other], none, true, undefined],
    ['the second overlaps the Service range', [network(10), other], { ...none, 'service-cluster-ip-range': ['198.18.5.0/26'] }, false, /198\.18\.5\.0\/24 \(Network fixed\) overlaps --service-cluster-ip-range=198\.18\.5\.0\/26/],
    ['a shared VPC with networking', [network(10), shared], none, true, /Network peer\) belongs to a shared VPC: --enable-networking is not supported there/],
    ['a shared VPC without networking', [network(10), shared], none, false, undefined],
  ] as const)('%s', (_n, networks, ranges, networking, message) => {
    const found = unusableNetwork(networks, ranges, networking);
    if (message) expect(found).toMatch(message);
    else expect(found).toBeUndefined();
  });
});

describe('nodeStatus', () => {
  const cci: CciRoom = { quota: quota({ cpu: '100', memory: '400Gi', pods: '100' }), network: network(200), ourPods: 0 };
  const room = nodeResources(cci);

  it('is Ready with addresses, daemon endpoint and a burstlet kubeletVersion', () => {
    const s = nodeStatus(cfg, room, { reachable: true }, undefined, 't0');
    expect(s.conditions!.map((c) => [c.type, c.status])).toEqual([
      ['Ready', 'True'], ['MemoryPressure', 'False'], ['DiskPressure', 'False'], ['PIDPressure', 'False'], ['NetworkUnavailable', 'False'],
      ['burstlet.io/SubnetIPsLow', 'False'],
    ]);
    expect(s.addresses).toEqual([{ type: 'InternalIP', address: '10.0.0.9' }]);
    const named = nodeStatus({ ...cfg, hostname: 'burst-1.example' }, room, { reachable: true }, undefined, 't0');
    expect(named.addresses).toEqual([{ type: 'InternalIP', address: '10.0.0.9' }, { type: 'Hostname', address: 'burst-1.example' }]);
    expect(s.daemonEndpoints!.kubeletEndpoint!.Port).toBe(10250);
    expect(s.nodeInfo!.kubeletVersion).toBe(KUBELET_VERSION);
    expect(KUBELET_VERSION).toMatch(/^v1\.33\.0-burstlet-/);
  });

  it('turns Ready=False CCIUnreachable keeping the last capacity, and back, with transition times', () => {
    const ok = nodeStatus(cfg, room, { reachable: true }, undefined, 't0');
    const down = nodeStatus(cfg, undefined, { reachable: false, message: 'connect ECONNREFUSED' }, ok, 't1');
    const ready = down.conditions!.find((c) => c.type === 'Ready')!;
    expect(ready).toMatchObject({ status: 'False', reason: 'CCIUnreachable', lastTransitionTime: 't1' });
    expect(ready.message).toContain('ECONNREFUSED');
    expect(down.capacity).toEqual(ok.capacity);
    expect(down.conditions!.find((c) => c.type === 'MemoryPressure')!.lastTransitionTime).toBe('t0');
    const back = nodeStatus(cfg, room, { reachable: true }, down, 't2');
    expect(back.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: 't2' });
  });

  it('nodeStatusChanged ignores heartbeats only', () => {
    const a = nodeStatus(cfg, room, { reachable: true }, undefined, 't0');
    const b = nodeStatus(cfg, room, { reachable: true }, a, 't5');
    expect(nodeStatusChanged(a, b)).toBe(false);
    const c = nodeStatus(cfg, nodeResources({ ...cci, network: network(10) }), { reachable: true }, a, 't5');
    expect(nodeStatusChanged(a, c)).toBe(true);
  });
});

describe('parseTaint', () => {
  it.each([
    ['a=b:NoSchedule', { key: 'a', value: 'b', effect: 'NoSchedule' }],
    ['a:NoExecute', { key: 'a', effect: 'NoExecute' }],
    ['virtual-kubelet.io/provider=cci:PreferNoSchedule', { key: 'virtual-kubelet.io/provider', value: 'cci', effect: 'PreferNoSchedule' }],
  ])('%s', (raw, taint) => expect(parseTaint(raw)).toEqual(taint));
  it.each(['a=b', 'a=b:Sometimes', ':NoSchedule'])('rejects %s', (raw) => expect(() => parseTaint(raw)).toThrow(/key=value:Effect/));
});

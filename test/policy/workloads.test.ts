import { describe, expect, it } from 'vitest';
import { projectWorkload, resolveWorkload, WorkloadIndex, type WorkloadRecord } from '../../src/policy/workloads.ts';
import type { Pod } from '../../src/kube/wire.ts';

const owned = (kind: string, name: string, uid: string) => ({ ownerReferences: [{ apiVersion: 'apps/v1', kind, name, uid, controller: true }] });
const deployment = projectWorkload('Deployment', { metadata: { namespace: 'ns', name: 'web', uid: 'd1', labels: { app: 'web', tier: 'front' } }, spec: { replicas: 10 }, status: { readyReplicas: 9 } });
const rs = projectWorkload('ReplicaSet', { metadata: { namespace: 'ns', name: 'web-5d8f', uid: 'r1', labels: { app: 'web', 'pod-template-hash': '5d8f' }, ...owned('Deployment', 'web', 'd1') } });
const bareRs = projectWorkload('ReplicaSet', { metadata: { namespace: 'ns', name: 'solo', uid: 'r2', labels: { app: 'solo' } } });
const pod = (meta: Partial<NonNullable<Pod['metadata']>>): Pod => ({ metadata: { namespace: 'ns', name: 'p', ...meta } });
const lookupIn = (...records: WorkloadRecord[]) => (uid: string) => records.find((r) => r.uid === uid);

describe('the workload a pod belongs to', () => {
  it('a ReplicaSet\'s pod belongs to its Deployment, with the Deployment\'s own labels', () => {
    const r = resolveWorkload(pod(owned('ReplicaSet', 'web-5d8f', 'r1')), lookupIn(deployment, rs));
    expect(r).toEqual({ workload: deployment });
    expect(deployment).toMatchObject({ replicas: 10, readyReplicas: 9, labels: { tier: 'front' } });
  });

  it('a ReplicaSet without a Deployment is the workload', () => {
    expect(resolveWorkload(pod(owned('ReplicaSet', 'solo', 'r2')), lookupIn(bareRs))).toEqual({ workload: bareRs });
  });

  it('StatefulSet and Job pods belong to them; a custom owner is the workload, labels unknown', () => {
    const ss = projectWorkload('StatefulSet', { metadata: { namespace: 'ns', name: 'db', uid: 's1', labels: { app: 'db' } } });
    expect(resolveWorkload(pod(owned('StatefulSet', 'db', 's1')), lookupIn(ss))).toEqual({ workload: ss });
    expect(resolveWorkload(pod(owned('Rollout', 'r', 'x1')), lookupIn())).toEqual({ workload: { kind: 'Rollout', name: 'r', uid: 'x1', namespace: 'ns', labels: undefined } });
  });

  it('no owner, or a DaemonSet: none', () => {
    expect(resolveWorkload(pod({}), lookupIn())).toEqual({ none: 'no-owner' });
    expect(resolveWorkload(pod({ ownerReferences: [{ apiVersion: 'v1', kind: 'ReplicaSet', name: 'x', uid: 'y' }] }), lookupIn())).toEqual({ none: 'no-owner' });
    expect(resolveWorkload(pod(owned('DaemonSet', 'ds', 'ds1')), lookupIn())).toEqual({ none: 'daemonset' });
  });

  it('names what the index has not seen yet', () => {
    expect(resolveWorkload(pod(owned('ReplicaSet', 'web-5d8f', 'r1')), lookupIn())).toEqual({ missing: { kind: 'ReplicaSet', name: 'web-5d8f', uid: 'r1', namespace: 'ns' } });
    expect(resolveWorkload(pod(owned('ReplicaSet', 'web-5d8f', 'r1')), lookupIn(rs))).toEqual({ missing: { kind: 'Deployment', name: 'web', uid: 'd1', namespace: 'ns' } });
  });

  it('fetches a ReplicaSet and its Deployment the informers have not delivered yet, once', async () => {
    const index = new WorkloadIndex();
    const fetched: string[] = [];
    const fetch = async (ref: { kind: string; name: string }) => {
      fetched.push(`${ref.kind}/${ref.name}`);
      return ref.kind === 'ReplicaSet' ? rs : deployment;
    };
    const p = pod(owned('ReplicaSet', 'web-5d8f', 'r1'));
    expect(await index.resolve(p, fetch)).toEqual({ workload: deployment });
    expect(await index.resolve(p, fetch)).toEqual({ workload: deployment });
    expect(fetched).toEqual(['ReplicaSet/web-5d8f', 'Deployment/web']);
  });

  it('a fetch that fails or finds another object leaves the owner as the workload, labels unknown', async () => {
    const index = new WorkloadIndex();
    const p = pod(owned('ReplicaSet', 'web-5d8f', 'r1'));
    expect(await index.resolve(p, async () => { throw new Error('timeout'); })).toEqual({ workload: { kind: 'ReplicaSet', name: 'web-5d8f', uid: 'r1', namespace: 'ns', labels: undefined } });
    expect(await index.resolve(p, async () => bareRs)).toMatchObject({ workload: { uid: 'r1', labels: undefined } });
  });

  it('an informer update replaces a fetched record and a deletion removes it', () => {
    const index = new WorkloadIndex();
    index.set(deployment, undefined);
    expect(index.get('d1')).toBe(deployment);
    index.set(undefined, deployment);
    expect(index.get('d1')).toBeUndefined();
  });
});

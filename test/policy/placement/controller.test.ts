// The placement controller against an API that answers late and a watch that lags behind it:
// a ReplicaSet-like burst of pods created at once must never get more than maxNum local, nor
// more local pods than the cluster nodes fit.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.ts';
import { KubeError } from '../../../src/kube/client.ts';
import type { Node, Pod } from '../../../src/kube/wire.ts';
import { APPLIED_ANNOTATION, PLACEMENT_GATE, type AppliedPolicy } from '../../../src/policy/mutation.ts';
import { PodLedger } from '../../../src/policy/pod-ledger.ts';
import { PlacementController } from '../../../src/policy/placement/controller.ts';
import { PLACEMENT_ANNOTATION } from '../../../src/policy/placement/decide.ts';
import type { EventSink } from '../../../src/policy/events.ts';
import { FakeApi } from '../support/fake-api.ts';

const log = createLogger('silent', 'test');
const node = (name: string, virtual: boolean, pods: number): Node => ({
  metadata: { name, labels: virtual ? { type: 'virtual-kubelet' } : { 'kubernetes.io/hostname': name } },
  spec: { taints: virtual ? [{ key: 'virtual-kubelet.io/provider', value: 'cci', effect: 'NoSchedule' }] : [] },
  status: { allocatable: { cpu: '64', memory: '256Gi', pods: String(pods) }, conditions: [{ type: 'Ready', status: 'True' }] },
});

function gatedPod(i: number, applied: Partial<AppliedPolicy>): Pod {
  const a: AppliedPolicy = { policy: 'localPrefer', source: 'profile', workload: 'Deployment/web', workloadUid: 'd1', applied: ['tolerations', 'schedulingGate'], ...applied };
  return {
    metadata: { namespace: 'ns', name: `web-${String(i).padStart(2, '0')}`, uid: `u${i}`, creationTimestamp: `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}Z`, annotations: { [APPLIED_ANNOTATION]: JSON.stringify(a) } },
    spec: {
      containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '100m' } } }],
      tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists' }],
      schedulingGates: [{ name: PLACEMENT_GATE }],
    },
  };
}

/** A seeded random, so that a failure replays. */
function random(seed: number): () => number {
  return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Run {
  placements: Map<string, string>;
  events: string[];
  patches: number;
}

/**
 * Creates `count` gated pods "at once" (in shuffled order, interleaved with the controller's
 * patches), with every API answer and every watch event delayed at random. With `bind`, a fake
 * scheduler binds each released local pod to the cluster node a little later.
 */
async function burst(opts: { count: number; clusterPods: number; applied: Partial<AppliedPolicy>; seed: number; conflictEvery?: number; bind?: boolean }): Promise<Run> {
  const rnd = random(opts.seed);
  const api = new FakeApi();
  const ledger = new PodLedger();
  const events: string[] = [];
  const sink: EventSink = { record: (t, _type, reason, message) => events.push(`${t.name} ${reason} ${message}`) };
  const controller = new PlacementController({ kube: api, ledger, events: sink, log });
  const deliver = (pod: Pod) => {
    const key = `${pod.metadata!.namespace}/${pod.metadata!.name}`;
    ledger.setPod(key, pod);
    controller.podChanged(key, pod);
  };
  ledger.setNode('cluster-1', node('cluster-1', false, opts.clusterPods));
  ledger.setNode('burst', node('burst', true, 1000));
  let patches = 0;
  api.delay = async () => { await sleep(rnd() * 4); };
  api.fail = (method) => (method === 'PATCH' && opts.conflictEvery && ++patches % opts.conflictEvery === 0 ? new KubeError(409, 'Conflict', 'the object has been modified') : undefined);
  const watchLag: Promise<void>[] = [];
  const origRequest = api.request;
  api.request = async (method, path, o) => {
    const out = await origRequest(method, path, o);
    if (method === 'PATCH') {
      const updated = structuredClone(out) as Pod;
      watchLag.push((async () => {
        await sleep(rnd() * 10);
        deliver(updated);
        if (opts.bind && updated.metadata?.annotations?.[PLACEMENT_ANNOTATION] === 'local') {
          await sleep(rnd() * 10);
          deliver({ ...updated, spec: { ...updated.spec!, nodeName: 'cluster-1' }, metadata: { ...updated.metadata, resourceVersion: `${updated.metadata?.resourceVersion}b` } });
        }
      })());
    }
    return out as never;
  };
  const pods = Array.from({ length: opts.count }, (_, i) => gatedPod(i, opts.applied));
  for (let i = pods.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [pods[i], pods[j]] = [pods[j]!, pods[i]!];
  }
  const creations = pods.map(async (pod) => {
    await sleep(rnd() * 6);
    const stored = api.put(`/api/v1/namespaces/ns/pods/${pod.metadata!.name}`, pod) as Pod;
    await sleep(rnd() * 3);
    deliver(stored);
  });
  await Promise.all(creations);
  await expect.poll(async () => {
    await Promise.all(watchLag);
    await controller.idle();
    return pods.filter((p) => api.get<Pod>(`/api/v1/namespaces/ns/pods/${p.metadata!.name}`)?.spec?.schedulingGates?.length).length;
  }, { timeout: 8_000 }).toBe(0);
  controller.stop();
  const placements = new Map<string, string>();
  for (const p of pods) {
    const stored = api.get<Pod>(`/api/v1/namespaces/ns/pods/${p.metadata!.name}`)!;
    placements.set(p.metadata!.name!, stored.metadata?.annotations?.[PLACEMENT_ANNOTATION] ?? 'none');
  }
  return { placements, events, patches };
}

const count = (run: Run, placement: string) => [...run.placements.values()].filter((p) => p === placement).length;

describe('placement controller', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`50 pods at once with maxNum 2: exactly 2 local though the node fits 4 (seed ${seed})`, async () => {
      const run = await burst({ count: 50, clusterPods: 4, applied: { maxLocal: 2 }, seed });
      expect(count(run, 'local')).toBe(2);
      expect(count(run, 'cci')).toBe(48);
    });
  }

  it('localPrefer without maxNum: as many local as the cluster node fits, the rest burst', async () => {
    const run = await burst({ count: 50, clusterPods: 4, applied: {}, seed: 9, bind: true });
    expect(count(run, 'local')).toBe(4);
    expect(count(run, 'cci')).toBe(46);
    expect(run.events.filter((e) => /no cluster node fits: 0\/1 nodes are available: 1 Too many pods/.test(e))).toHaveLength(46);
  });

  it('patches that lose to a concurrent change are decided again, and maxNum still holds', async () => {
    const run = await burst({ count: 30, clusterPods: 10, applied: { maxLocal: 3 }, seed: 11, conflictEvery: 4 });
    expect(count(run, 'local')).toBe(3);
    expect(count(run, 'cci')).toBe(27);
  });

  it('auto under a maxNum: the first maxNum are left to the scheduler, the rest pinned to CCI', async () => {
    const run = await burst({ count: 20, clusterPods: 100, applied: { policy: 'auto', maxLocal: 5 }, seed: 3 });
    expect(count(run, 'either')).toBe(5);
    expect(count(run, 'cci')).toBe(15);
  });

  it('maxNum 0 sends every pod to CCI', async () => {
    const run = await burst({ count: 10, clusterPods: 100, applied: { maxLocal: 0 }, seed: 5 });
    expect(count(run, 'cci')).toBe(10);
  });
});

import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../src/local/workloads/objects.ts';
import { planStatefulSet, REVISION_LABEL, updateRevision } from '../../../src/local/workloads/statefulset.ts';
import { NOW, pod, statefulSet } from './fixtures.ts';

const member = (ordinal: number, over: { ready?: boolean; phase?: string; revision?: string; deleting?: boolean } = {}, rev?: string): Pod => {
  const p = pod({ name: `db-${ordinal}`, node: 'n1', phase: over.phase ?? 'Running', ...(over.ready === false ? {} : { readyFor: 60 }), deleting: over.deleting ?? false });
  p.metadata!.labels = { app: 'web', [REVISION_LABEL]: over.revision ?? rev ?? 'x' };
  return p;
};
const names = (pods: Pod[]): string[] => pods.map((p) => p.metadata!.name!);

describe('planStatefulSet (OrderedReady)', () => {
  const sts = statefulSet(3);
  const rev = updateRevision(sts);
  const at = (o: number, over: Parameters<typeof member>[1] = {}): Pod => member(o, over, rev);

  it.each([
    ['creates pod 0 first', [], ['db-0'], []],
    ['waits for pod 0 to be ready before pod 1', [at(0, { ready: false })], [], []],
    ['creates pod 1 once pod 0 is Running and Ready', [at(0)], ['db-1'], []],
    ['replaces a failed pod, and waits for it', [at(0, { phase: 'Failed', ready: false }), at(1)], [], ['db-0']],
    ['removes the highest ordinal first when scaled in, one at a time', [at(0), at(1), at(2), at(3), at(4)], [], ['db-4']],
    ['waits for a pod being removed before the next', [at(0), at(1), at(2), at(3), at(4, { deleting: true })], [], []],
    ['updates the highest pod at an old revision first', [at(0, { revision: 'old' }), at(1, { revision: 'old' }), at(2, { revision: 'old' })], [], ['db-2']],
  ] as [string, Pod[], string[], string[]][])('%s', (_name, pods, create, remove) => {
    const plan = planStatefulSet(sts, pods, NOW);
    expect(names(plan.create)).toEqual(create);
    expect(names(plan.delete)).toEqual(remove);
  });

  it('names and labels its pods, with their hostname and subdomain', () => {
    const [p] = planStatefulSet(sts, [], NOW).create;
    expect(p!.metadata).toMatchObject({ name: 'db-0', labels: { app: 'web', [REVISION_LABEL]: rev, 'statefulset.kubernetes.io/pod-name': 'db-0', 'apps.kubernetes.io/pod-index': '0' } });
    expect(p!.spec).toMatchObject({ hostname: 'db-0', subdomain: 'db' });
    expect(p!.metadata!.ownerReferences![0]).toMatchObject({ kind: 'StatefulSet', name: 'db', controller: true });
  });

  it('reports the update complete when every pod is ready at the update revision', () => {
    const done = planStatefulSet({ ...sts, status: { replicas: 3, currentRevision: 'db-old' } }, [at(0), at(1), at(2)], NOW);
    expect(done.status).toMatchObject({ replicas: 3, readyReplicas: 3, updatedReplicas: 3, currentRevision: rev, updateRevision: rev, observedGeneration: 1 });
  });
});

describe('planStatefulSet (Parallel)', () => {
  it('creates and removes pods all at once', () => {
    const sts = statefulSet(3, { podManagementPolicy: 'Parallel' });
    expect(names(planStatefulSet(sts, [], NOW).create)).toEqual(['db-0', 'db-1', 'db-2']);
    const rev = updateRevision(sts);
    const scaledIn = planStatefulSet({ ...sts, spec: { ...sts.spec!, replicas: 1 } }, [0, 1, 2].map((o) => member(o, {}, rev)), NOW);
    expect(names(scaledIn.delete)).toEqual(['db-2', 'db-1']);
  });
});

// The generic pod controller on a fake API, an in-memory provider and a fake clock.
import { afterEach, describe, expect, it } from 'vitest';
import { KubeError } from '../../../src/kube/client.ts';
import { createLogger } from '../../../src/log/logger.ts';
import type { EventTarget } from '../../../src/provider/events.ts';
import { PodController } from '../../../src/provider/pods/controller.ts';
import { PodRefusedError } from '../../../src/provider/pods/provider.ts';
import { FakeClock, settle } from '../../support/fake-clock.ts';
import { FakePodApi } from './fake-pod-api.ts';
import { MemoryProvider } from './memory-provider.ts';

interface Setup {
  api: FakePodApi;
  provider: MemoryProvider;
  clock: FakeClock;
  events: { target: EventTarget; type: string; reason: string; message: string }[];
  controller: PodController;
}

let running: PodController[] = [];
afterEach(() => {
  for (const c of running) c.stop();
  running = [];
});

async function setup(prepare: (api: FakePodApi, provider: MemoryProvider) => void = () => undefined, workers = 2): Promise<Setup> {
  const api = new FakePodApi();
  const provider = new MemoryProvider();
  const clock = new FakeClock();
  const events: Setup['events'] = [];
  prepare(api, provider);
  const controller = new PodController({
    api,
    provider,
    nodeName: 'node-1',
    nodeIP: '10.0.0.1',
    workers,
    resyncMs: 60_000,
    events: { record: (target, type, reason, message) => events.push({ target, type, reason, message }) },
    log: createLogger('silent', 'test'),
    clock,
    random: () => 0.5,
  });
  running.push(controller);
  await controller.start();
  await settle();
  return { api, provider, clock, events, controller };
}

const phase = (api: FakePodApi, key: string): string | undefined => api.get(key)?.status?.phase;

describe('PodController', () => {
  it('creates a bound pod on the provider once and writes Running when the provider says so', async () => {
    const { api, provider } = await setup();
    api.create('web', 'u1');
    await settle();
    expect(provider.calls).toEqual([['create', 'ns/web']]);
    expect(phase(api, 'ns/web')).toBe('Pending');
    provider.run('u1');
    await settle();
    expect(phase(api, 'ns/web')).toBe('Running');
    expect(api.get('ns/web')?.status?.podIP).toBe('198.18.0.9');
    // The provider's annotations go in the same write as the status.
    expect(api.get('ns/web')?.metadata?.annotations).toEqual({ 'memory.example/phase': 'Running' });
    expect(provider.calls).toEqual([['create', 'ns/web']]);
  });

  it('lets the provider prepare each pod once, when the pod is first seen: not for its updates, its deletion or a pod deleted already', async () => {
    const { api, provider } = await setup();
    api.create('web', 'u1');
    api.update('ns/web', (p) => void (p.metadata!.labels = { changed: 'yes' }));
    api.markDeleted('ns/web', 30);
    await settle();
    expect(provider.prepared).toEqual(['ns/web']);
  });

  it('hands a changed spec to the provider as an update', async () => {
    const { api, provider } = await setup();
    api.create('web', 'u1');
    await settle();
    // A new object with the same spec (keys in another order, a null where nothing was): no update.
    api.update('ns/web', (p) => {
      p.metadata!.labels = { changed: 'yes' };
      const { containers, ...rest } = p.spec!;
      p.spec = { ...rest, nodeSelector: null as unknown as undefined, containers };
    });
    await settle();
    expect(provider.calls).toEqual([['create', 'ns/web']]);
    api.update('ns/web', (p) => {
      p.spec!.containers[0]!.image = 'busybox:2';
    });
    await settle();
    expect(provider.calls).toEqual([['create', 'ns/web'], ['update', 'ns/web']]);
    expect(provider.pods.get('u1')?.pod.spec?.containers[0]?.image).toBe('busybox:2');
  });

  // A spec is compared by identity first; equal specs of later versions (each watch event and
  // status write parses a new object) are the first version's object, so no old copy is kept.
  it('keeps one spec object for a pod\'s versions while its spec does not change', async () => {
    const { api, provider, controller } = await setup();
    api.create('web', 'u1');
    await settle();
    const first = controller.findPod('ns', 'web')?.spec;
    provider.run('u1');
    await settle();
    api.update('ns/web', (p) => void (p.metadata!.labels = { changed: 'yes' }));
    await settle();
    expect(phase(api, 'ns/web')).toBe('Running');
    expect(controller.findPod('ns', 'web')?.metadata?.labels).toEqual({ changed: 'yes' });
    expect(controller.findPod('ns', 'web')?.spec).toBe(first);
    api.update('ns/web', (p) => void (p.spec!.activeDeadlineSeconds = 60));
    await settle();
    expect(controller.findPod('ns', 'web')?.spec).not.toBe(first);
    expect(controller.findPod('ns', 'web')?.spec?.activeDeadlineSeconds).toBe(60);
    expect(provider.calls).toEqual([['create', 'ns/web'], ['update', 'ns/web']]);
  });

  it('deletes with the pod\'s grace period, then removes the API object once the provider is done', async () => {
    const { api, provider, events } = await setup((_api, p) => {
      p.holdDeletions = true;
    });
    api.create('web', 'u1');
    await settle();
    provider.run('u1');
    await settle();
    api.markDeleted('ns/web', 20);
    await settle();
    expect(provider.calls.at(-1)).toEqual(['delete', 'ns/web', 20]);
    expect(events.map((e) => e.reason)).toContain('Killing');
    expect(api.get('ns/web')).toBeDefined(); // the containers still have their grace period
    provider.finishDeletion('u1');
    await settle();
    expect(api.get('ns/web')).toBeUndefined();
  });

  it('removes a deleted pod from the API once, though a sync comes before the watch shows it gone (the real API server answered the repeat with 404)', async () => {
    const { api, provider } = await setup();
    api.create('web', 'u1');
    await settle();
    provider.run('u1');
    await settle();
    api.holdDeletedEvents = true;
    api.markDeleted('ns/web', 0);
    await settle();
    expect(api.removals).toEqual(['ns/web']);
    provider.notify('ns/web'); // the backend's late news of the deletion syncs the key again
    await settle();
    expect(api.removals).toEqual(['ns/web']);
    api.releaseDeletions();
    await settle();
    expect(api.removals).toEqual(['ns/web']);
  });

  it('retries a failed create with a doubling backoff', async () => {
    const { api, provider, clock } = await setup((_api, p) => {
      p.failures.create.push(new KubeError(503, 'ServiceUnavailable', 'backend down'), new KubeError(503, 'ServiceUnavailable', 'backend down'));
    });
    api.create('web', 'u1');
    await settle();
    expect(provider.calls).toHaveLength(1);
    await clock.advance(249);
    expect(provider.calls).toHaveLength(1);
    await clock.advance(1); // base delay 250 ms
    expect(provider.calls).toHaveLength(2);
    await clock.advance(499);
    expect(provider.calls).toHaveLength(2);
    await clock.advance(1); // doubled
    expect(provider.calls).toHaveLength(3);
    expect(provider.pods.has('u1')).toBe(true);
    expect(phase(api, 'ns/web')).toBe('Pending');
  });

  it('says in a Warning, from the third failure in a row, that a pod\'s creation keeps failing and is retried (issue #12 item 6)', async () => {
    const down = (): Error => new KubeError(503, 'ServiceUnavailable', 'backend down');
    const { api, provider, clock, events } = await setup((_api, p) => {
      p.failures.create.push(down(), down(), down(), down());
    });
    api.create('web', 'u1');
    await settle();
    await clock.advance(250 + 500); // two retries: three failures
    const warnings = (): string[] => events.filter((e) => e.reason === 'ProviderCreateFailed').map((e) => `${e.type}: ${e.message}`);
    expect(warnings()).toEqual(['Warning: memory did not create the pod: backend down; retrying with backoff']);
    await clock.advance(1000);
    expect(warnings()).toHaveLength(2); // the same message: the recorder folds repeats into one event with a count
    await clock.advance(2000);
    expect(provider.pods.has('u1')).toBe(true);
    expect(phase(api, 'ns/web')).toBe('Pending');
  });

  it('fails a pod the provider refuses, and keeps one it must wait for Pending, trying again later', async () => {
    const { api, provider, clock } = await setup((_api, p) => {
      p.failures.create.push(new PodRefusedError('FlavorTooLarge', 'too big'));
      p.missingConfig.add('ns/waits');
    });
    api.create('big', 'u1');
    await settle();
    expect(api.get('ns/big')?.status).toMatchObject({ phase: 'Failed', reason: 'FlavorTooLarge', message: 'too big' });
    api.create('waits', 'u2');
    await settle();
    expect(api.get('ns/waits')?.status?.containerStatuses?.[0]?.state?.waiting).toEqual({ reason: 'CreateContainerConfigError', message: 'configmap "cm" not found' });
    const tries = provider.calls.filter(([op, key]) => op === 'create' && key === 'ns/waits').length;
    provider.missingConfig.delete('ns/waits');
    await clock.advance(19_999);
    expect(provider.pods.has('u2')).toBe(false);
    await clock.advance(1);
    expect(provider.calls.filter(([op, key]) => op === 'create' && key === 'ns/waits')).toHaveLength(tries + 1);
    expect(provider.pods.has('u2')).toBe(true);
  });

  it('fails a pod whose backend pod vanished after it ran, and does not recreate it', async () => {
    const { api, provider, events } = await setup();
    api.create('web', 'u1');
    await settle();
    provider.run('u1');
    await settle();
    provider.lose('u1');
    await settle();
    expect(api.get('ns/web')?.status).toMatchObject({ phase: 'Failed', reason: 'ProviderPodMissing' });
    expect(events.find((e) => e.reason === 'ProviderPodMissing')?.message).toContain('memory pod running this pod disappeared');
    expect(provider.calls.filter(([op]) => op === 'create')).toHaveLength(1);
  });

  it('does not sync a pod again for the watch\'s echo of its own status write', async () => {
    const { api, provider } = await setup();
    api.echoAfterResponse = true;
    const looked: string[] = [];
    const getPodStatus = provider.getPodStatus.bind(provider);
    provider.getPodStatus = (pod) => (looked.push(pod.metadata!.name!), getPodStatus(pod));
    api.create('web', 'u1');
    await settle();
    provider.run('u1');
    await settle();
    expect(phase(api, 'ns/web')).toBe('Running');
    // The ADDED pod (missing, created, read again), then the provider's notification: the echoes
    // of the Pending and the Running write sync nothing.
    expect(looked).toEqual(['web', 'web', 'web']);
    api.update('ns/web', (p) => { p.metadata!.labels = { touched: 'yes' }; }); // someone else's change still syncs
    await settle();
    expect(looked).toHaveLength(4);
  });

  it('writes Pending then Running decided before the first write as one write', async () => {
    let open!: () => void;
    const { api, provider } = await setup((a) => {
      a.gate = new Promise((resolve) => (open = resolve));
    }, 1);
    api.create('busy', 'u0'); // its write takes the only status worker and waits at the gate
    await settle();
    api.create('web', 'u1');
    await settle();
    provider.run('u1');
    await settle();
    open();
    api.gate = undefined;
    await settle();
    expect(phase(api, 'ns/web')).toBe('Running');
    expect(api.patches.filter((p) => p.key === 'ns/web')).toHaveLength(1);
  });

  it('deletes the backend pod of a pod removed from the API, and orphans at start', async () => {
    const { api, provider } = await setup((a, p) => {
      void p.createPod({ metadata: { namespace: 'ns', name: 'old', uid: 'u-old' }, spec: { containers: [] } });
      a.create('kept', 'u1');
      void p.createPod({ metadata: { namespace: 'ns', name: 'kept', uid: 'u1' }, spec: { containers: [] } });
    });
    expect(provider.calls).toContainEqual(['delete', 'ns/old', 0]);
    expect([...provider.pods.keys()]).toEqual(['u1']);
    await api.removePod('ns', 'kept', 'u1'); // force-deleted
    await settle();
    expect(provider.calls.at(-1)).toEqual(['delete', 'ns/kept', 0]);
    expect(provider.pods.size).toBe(0);
  });
});

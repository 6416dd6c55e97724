// Workloads in `npm start`'s environment, driven by the real kubectl 1.33 as a user would:
// Deployments (create, scale, pod-deletion-cost on scale-in, rollout status, rollout restart,
// cascading delete), Jobs (completion, backoffLimit) and StatefulSets (ordered creation).
// Process runtime, so it runs without root; pods land on cluster-node-1 (no toleration).
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster } from './support/local-cluster.ts';

let cluster: LocalCluster;

async function ok(...args: string[]): Promise<string> {
  const r = await cluster.kubectl.run(args, { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
const json = async <T>(...args: string[]): Promise<T> => JSON.parse(await ok(...args, '-o', 'json')) as T;
const podsOf = async (selector: string): Promise<V1Pod[]> => (await json<{ items: V1Pod[] }>('get', 'pods', '-l', selector)).items;
const live = (pods: V1Pod[]): V1Pod[] => pods.filter((p) => !p.metadata?.deletionTimestamp);

beforeAll(async () => {
  cluster = await startLocalCluster({ args: ['--nodes', '--runtime=process'], readyTimeoutMs: 90_000 });
});

afterAll(async () => {
  await cluster?.stop();
});

describe('Deployments', () => {
  it('create, rollout status, scale out and in (lowest pod-deletion-cost first), rollout restart', async () => {
    await ok('create', 'deployment', 'web', '--image=busybox', '--replicas=3', '--', 'sleep', '3600');
    expect(await ok('rollout', 'status', 'deployment/web', '--timeout=90s')).toContain('deployment "web" successfully rolled out');
    expect(await ok('get', 'deployment', 'web')).toMatch(/web\s+3\/3\s+3\s+3\s/);

    // The two pods added now are younger by seconds (timestamps have one-second resolution), so
    // without pod-deletion-cost a scale-in would take them; the cost makes it take two old ones.
    const first = live(await podsOf('app=web')).map((p) => p.metadata!.name!);
    await new Promise((r) => setTimeout(r, 2_100));
    await ok('scale', 'deployment', 'web', '--replicas=5');
    await ok('rollout', 'status', 'deployment/web', '--timeout=90s');
    const five = live(await podsOf('app=web')).map((p) => p.metadata!.name!);
    expect(five).toHaveLength(5);
    const cheap = first.slice(0, 2);
    for (const name of cheap) await ok('annotate', 'pod', name, 'controller.kubernetes.io/pod-deletion-cost=-100');
    await ok('scale', 'deployment', 'web', '--replicas=3');
    await expect.poll(async () => live(await podsOf('app=web')).map((p) => p.metadata!.name!).sort(), { timeout: 30_000 })
      .toEqual(five.filter((n) => !cheap.includes(n)).sort());

    const before = (await json<{ items: { metadata: { name: string } }[] }>('get', 'replicasets', '-l', 'app=web')).items.map((rs) => rs.metadata.name);
    await ok('rollout', 'restart', 'deployment/web');
    expect(await ok('rollout', 'status', 'deployment/web', '--timeout=90s')).toContain('successfully rolled out');
    const rses = (await json<{ items: { metadata: { name: string }; spec: { replicas: number } }[] }>('get', 'replicasets', '-l', 'app=web')).items;
    const fresh = rses.find((rs) => !before.includes(rs.metadata.name))!;
    expect(fresh.spec.replicas).toBe(3);
    expect(rses.filter((rs) => rs !== fresh).map((rs) => rs.spec.replicas)).toEqual([0]);
    await expect.poll(async () => live(await podsOf('app=web')).every((p) => p.metadata!.ownerReferences![0]!.name === fresh.metadata.name), { timeout: 30_000 }).toBe(true);
    const events = await ok('describe', 'deployment', 'web');
    expect(events).toMatch(/ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set web-\w+ to 3/);
  });

  it('deleting a Deployment deletes its ReplicaSets and pods', async () => {
    await ok('create', 'deployment', 'gone', '--image=busybox', '--replicas=2', '--', 'sleep', '3600');
    await ok('rollout', 'status', 'deployment/gone', '--timeout=90s');
    await ok('delete', 'deployment', 'gone');
    await expect.poll(async () => (await json<{ items: unknown[] }>('get', 'replicasets', '-l', 'app=gone')).items.length, { timeout: 30_000 }).toBe(0);
    await expect.poll(async () => live(await podsOf('app=gone')).length, { timeout: 30_000 }).toBe(0);
  });
});

describe('Jobs', () => {
  it('runs to completion; kubectl logs job/NAME shows its output', async () => {
    await ok('create', 'job', 'pi', '--image=busybox', '--', 'sh', '-c', 'echo 3.14');
    await ok('wait', '--for=condition=complete', 'job/pi', '--timeout=90s');
    expect(await ok('get', 'job', 'pi')).toMatch(/pi\s+Complete\s+1\/1/);
    expect(await ok('logs', 'job/pi')).toBe('3.14\n');
  });

  it('fails past backoffLimit, after a backoff between attempts', async () => {
    await cluster.kubectl.run(['apply', '-f', '-'], {
      stdin: 'apiVersion: batch/v1\nkind: Job\nmetadata: {name: flaky}\nspec:\n  backoffLimit: 1\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: busybox, command: [sh, -c, "exit 3"]}]\n',
    });
    await ok('wait', '--for=condition=failed', 'job/flaky', '--timeout=90s');
    const job = await json<{ status: { failed: number; conditions: { type: string; reason: string }[] } }>('get', 'job', 'flaky');
    expect(job.status.failed).toBe(2);
    expect(job.status.conditions.find((c) => c.type === 'Failed')?.reason).toBe('BackoffLimitExceeded');
    const [first, second] = (await podsOf('job-name=flaky')).sort((a, b) => String(a.metadata!.creationTimestamp).localeCompare(String(b.metadata!.creationTimestamp)));
    const firstEnded = Date.parse(String(first!.status!.containerStatuses![0]!.state!.terminated!.finishedAt));
    expect(Date.parse(String(second!.metadata!.creationTimestamp)) - firstEnded).toBeGreaterThanOrEqual(9_000);
  });
});

describe('StatefulSets', () => {
  it('creates pods in order, each once its predecessor is ready, and rolls out', async () => {
    await cluster.kubectl.run(['apply', '-f', '-'], {
      stdin: 'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec:\n  serviceName: db\n  replicas: 3\n  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n    spec:\n      containers: [{name: c, image: busybox, command: [sleep, "3600"]}]\n',
    });
    expect(await ok('rollout', 'status', 'statefulset/db', '--timeout=90s')).toContain('roll out complete');
    const pods = (await podsOf('app=db')).sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
    expect(pods.map((p) => [p.metadata!.name, p.spec!.hostname, p.spec!.subdomain])).toEqual([['db-0', 'db-0', 'db'], ['db-1', 'db-1', 'db'], ['db-2', 'db-2', 'db']]);
    const readyAt = (p: V1Pod): number => Date.parse(String(p.status!.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime));
    for (let i = 1; i < pods.length; i++) {
      expect(Date.parse(String(pods[i]!.metadata!.creationTimestamp))).toBeGreaterThanOrEqual(readyAt(pods[i - 1]!) - 999);
    }
    expect(await ok('get', 'statefulset', 'db')).toMatch(/db\s+3\/3/);
  });
});

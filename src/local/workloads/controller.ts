// The embedded control plane's workload controllers as one process loop (the part of
// kube-controller-manager `burstlet local` runs): Deployments, ReplicaSets, StatefulSets and
// Jobs, plus the garbage collection of what a deleted owner owned. Informers feed one work queue
// keyed "Kind/namespace/name"; each sync plans with a pure function (planDeployment, ...) and
// writes the plan, waiting for its own earlier writes to show in the caches first.
import type { Logger } from '../../log/logger.ts';
import { EventRecorder, type EventTarget } from '../../provider/events.ts';
import { KubeClient, loadKubeConfig } from '../../kube/client.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../../kube/errors.ts';
import { informer, type ListWatchCache } from '../../kube/list-watch-cache.ts';
import { WorkQueue } from '../../kube/workqueue.ts';
import { errorMessage } from '../../log/error-message.ts';
import type { WorkloadEvent } from './deployment.ts';
import { planDeployment } from './deployment.ts';
import { atLeast, Expectations } from './expectations.ts';
import { planJob } from './job.ts';
import { controlledBy, controllerOf, isActive, podFromTemplate, type Deployment, type Job, type Meta, type Pod, type ReplicaSet, type StatefulSet } from './objects.ts';
import { planReplicaSet } from './replicaset.ts';
import { planStatefulSet } from './statefulset.ts';

type Kind = 'Deployment' | 'ReplicaSet' | 'StatefulSet' | 'Job';
interface Obj { apiVersion?: string; kind?: string; metadata?: Meta; status?: object }

const API: Record<Kind, { group: string; plural: string; component: string }> = {
  Deployment: { group: 'apis/apps/v1', plural: 'deployments', component: 'deployment-controller' },
  ReplicaSet: { group: 'apis/apps/v1', plural: 'replicasets', component: 'replicaset-controller' },
  StatefulSet: { group: 'apis/apps/v1', plural: 'statefulsets', component: 'statefulset-controller' },
  Job: { group: 'apis/batch/v1', plural: 'jobs', component: 'job-controller' },
};
const KINDS = Object.keys(API) as Kind[];
const isKind = (k: string | undefined): k is Kind => KINDS.includes(k as Kind);
const path = (kind: Kind, ns: string, name = ''): string => `/${API[kind].group}/namespaces/${ns}/${API[kind].plural}${name ? `/${name}` : ''}`;
const podsPath = (ns: string, name = ''): string => `/api/v1/namespaces/${ns}/pods${name ? `/${name}` : ''}`;

/** A merge patch turning `old` into `next` at the top level (null removes a field). */
function statusPatch(old: object | undefined, next: object): Record<string, unknown> | undefined {
  const before = (old ?? {}) as Record<string, unknown>;
  const after = next as Record<string, unknown>;
  const patch: Record<string, unknown> = {};
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (JSON.stringify(before[k]) !== JSON.stringify(after[k])) patch[k] = after[k] ?? null;
  }
  return Object.keys(patch).length === 0 ? undefined : patch;
}

export async function startWorkloadControllers(kubeconfigPath: string, logger: Logger): Promise<{ stop(): Promise<void> }> {
  const log = logger.child({ component: 'workload-controllers' });
  const client = await KubeClient.create(loadKubeConfig(kubeconfigPath));
  const events = Object.fromEntries(KINDS.map((k) => [k, new EventRecorder(client, { component: API[k].component }, log)])) as Record<Kind, EventRecorder>;
  const expectations = new Expectations();
  let synced = false;

  const record = (kind: Kind, o: Obj, e: WorkloadEvent): void => {
    const m = o.metadata!;
    const target: EventTarget = { apiVersion: kind === 'Job' ? 'batch/v1' : 'apps/v1', kind, namespace: m.namespace!, name: m.name!, uid: m.uid! };
    events[kind].record(target, e.type, e.reason, e.message);
  };
  const enqueue = (kind: string | undefined, ns: string | undefined, name: string | undefined): void => {
    if (synced && isKind(kind) && ns && name) queue.add(`${kind}/${ns}/${name}`);
  };
  const gc = (deleted: Obj | undefined): void => {
    if (synced && deleted?.metadata?.uid) queue.add(`GC/${deleted.metadata.namespace}/${deleted.metadata.uid}`);
  };

  const owners: Record<Kind, ListWatchCache<Obj>> = {} as Record<Kind, ListWatchCache<Obj>>;
  for (const kind of KINDS) {
    owners[kind] = informer<Obj>(client, `/${API[kind].group}/${API[kind].plural}`, {
      log,
      onChange: (_key, o, previous) => {
        const m = (o ?? previous)?.metadata;
        enqueue(kind, m?.namespace, m?.name);
        const owner = controllerOf(m);
        enqueue(owner?.kind, m?.namespace, owner?.name);
        if (!o) gc(previous);
      },
    });
  }
  const pods = informer<Pod>(client, '/api/v1/pods', {
    log,
    onChange: (_key, pod, previous) => {
      const m = (pod ?? previous)?.metadata;
      const owner = controllerOf(m);
      enqueue(owner?.kind, m?.namespace, owner?.name);
    },
  });
  const get = <T extends Obj>(kind: Kind, ns: string, name: string): T | undefined => owners[kind].get(`${ns}/${name}`) as T | undefined;
  const podsOf = (owner: Obj): Pod[] => pods.list().filter((p) => p.metadata?.namespace === owner.metadata?.namespace && controlledBy(p.metadata, owner));
  const podSeen = (ns: string, name: string) => (): boolean => pods.get(`${ns}/${name}`) !== undefined;
  const podGone = (ns: string, name: string) => (): boolean => {
    const p = pods.get(`${ns}/${name}`);
    return p === undefined || Boolean(p.metadata?.deletionTimestamp);
  };
  const ownerAt = (kind: Kind, ns: string, name: string, rv: string | undefined) => (): boolean => atLeast(get(kind, ns, name)?.metadata?.resourceVersion, rv);

  /** Creates pods in batches of 1, 2, 4, … (kube's slowStartBatch): a failing template fails once, not 500 times. */
  async function createPods(key: string, kind: Kind, owner: Obj, make: () => Pod, count: number): Promise<void> {
    const ns = owner.metadata!.namespace!;
    for (let done = 0, batch = 1; done < count; done += batch, batch *= 2) {
      const size = Math.min(batch, count - done);
      await Promise.all(Array.from({ length: size }, async () => {
        const created = await client.request<Pod>('POST', podsPath(ns), { body: make() });
        expectations.expect(key, podSeen(ns, created.metadata!.name!));
        record(kind, owner, { type: 'Normal', reason: 'SuccessfulCreate', message: `Created pod: ${created.metadata!.name}` });
      }));
    }
  }

  async function deletePod(key: string, pod: Pod): Promise<void> {
    const { namespace, name } = pod.metadata as { namespace: string; name: string };
    try {
      await client.request('DELETE', podsPath(namespace, name), { body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: pod.metadata?.uid } } });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
    expectations.expect(key, podGone(namespace, name));
  }

  async function writeStatus(key: string, kind: Kind, o: Obj, status: object): Promise<void> {
    const patch = statusPatch(o.status, status);
    if (!patch) return;
    const { namespace, name } = o.metadata as { namespace: string; name: string };
    const written = await client.request<Obj>('PATCH', `${path(kind, namespace, name)}/status`, { body: { status: patch }, contentType: 'application/merge-patch+json' });
    expectations.expect(key, ownerAt(kind, namespace, name, written.metadata?.resourceVersion));
  }

  async function syncReplicaSet(key: string, ns: string, name: string): Promise<number | undefined> {
    const rs = get<ReplicaSet>('ReplicaSet', ns, name);
    if (!rs) return undefined;
    const owned = podsOf(rs);
    // A Deployment's pods are ranked against all of its ReplicaSets' pods, as kube does.
    const parent = controllerOf(rs.metadata);
    const siblings = parent ? owners.ReplicaSet.list().filter((o) => o.metadata?.namespace === ns && controllerOf(o.metadata)?.uid === parent.uid) : [rs];
    const related = siblings.flatMap((s) => podsOf(s)).filter(isActive);
    const plan = planReplicaSet(rs, owned, related, Date.now());
    const make = (): Pod => podFromTemplate(rs.spec?.template, { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: rs.metadata }, { generateName: `${name}-` });
    if (plan.create > 0) await createPods(key, 'ReplicaSet', rs, make, plan.create);
    for (const pod of plan.delete) {
      await deletePod(key, pod);
      record('ReplicaSet', rs, { type: 'Normal', reason: 'SuccessfulDelete', message: `Deleted pod: ${pod.metadata?.name}` });
    }
    await writeStatus(key, 'ReplicaSet', rs, plan.status);
    return plan.requeueAfterMs;
  }

  async function syncDeployment(key: string, ns: string, name: string): Promise<number | undefined> {
    const d = get<Deployment>('Deployment', ns, name);
    if (!d) return undefined;
    const owned = owners.ReplicaSet.list().filter((rs) => rs.metadata?.namespace === ns && controlledBy(rs.metadata, d)) as ReplicaSet[];
    const plan = planDeployment(d, owned, owned.flatMap((rs) => podsOf(rs)), Date.now());
    if (plan.revision !== undefined) {
      const written = await client.request<Obj>('PATCH', path('Deployment', ns, name), {
        body: { metadata: { annotations: { 'deployment.kubernetes.io/revision': plan.revision } } }, contentType: 'application/merge-patch+json',
      });
      expectations.expect(key, ownerAt('Deployment', ns, name, written.metadata?.resourceVersion));
    }
    if (plan.create) {
      const rsName = plan.create.metadata!.name!;
      try {
        const created = await client.request<Obj>('POST', path('ReplicaSet', ns), { body: plan.create });
        expectations.expect(key, ownerAt('ReplicaSet', ns, rsName, created.metadata?.resourceVersion));
      } catch (err) {
        // Made by an earlier sync whose answer was lost: it is ours.
        if (!isAlreadyExists(err)) throw err;
      }
    }
    for (const [rsName, { replicas, annotations }] of plan.scale) {
      const written = await client.request<Obj>('PATCH', path('ReplicaSet', ns, rsName), {
        body: { metadata: { annotations }, spec: { replicas } }, contentType: 'application/merge-patch+json',
      });
      expectations.expect(key, ownerAt('ReplicaSet', ns, rsName, written.metadata?.resourceVersion));
    }
    for (const rsName of plan.deleteReplicaSets) {
      await client.request('DELETE', path('ReplicaSet', ns, rsName)).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    }
    for (const e of plan.events) record('Deployment', d, e);
    await writeStatus(key, 'Deployment', d, plan.status);
    return plan.requeueAfterMs;
  }

  async function syncStatefulSet(key: string, ns: string, name: string): Promise<number | undefined> {
    const sts = get<StatefulSet>('StatefulSet', ns, name);
    if (!sts) return undefined;
    const plan = planStatefulSet(sts, podsOf(sts), Date.now());
    for (const pod of plan.create) {
      try {
        await client.request('POST', podsPath(ns), { body: pod });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
      expectations.expect(key, podSeen(ns, pod.metadata!.name!));
    }
    for (const pod of plan.delete) await deletePod(key, pod);
    for (const e of plan.events) record('StatefulSet', sts, e);
    await writeStatus(key, 'StatefulSet', sts, plan.status);
    return plan.requeueAfterMs;
  }

  async function syncJob(key: string, ns: string, name: string): Promise<number | undefined> {
    const job = get<Job>('Job', ns, name);
    if (!job) return undefined;
    const plan = planJob(job, podsOf(job), Date.now());
    const make = (): Pod => podFromTemplate(job.spec?.template, { apiVersion: 'batch/v1', kind: 'Job', metadata: job.metadata }, { generateName: `${name}-` });
    if (plan.create > 0) await createPods(key, 'Job', job, make, plan.create);
    for (const pod of plan.delete) {
      await deletePod(key, pod);
      record('Job', job, { type: 'Normal', reason: 'SuccessfulDelete', message: `Deleted pod: ${pod.metadata?.name}` });
    }
    for (const e of plan.events) record('Job', job, e);
    await writeStatus(key, 'Job', job, plan.status);
    return plan.requeueAfterMs;
  }

  /** The garbage collector's part: what the deleted owner `uid` owned, and nothing else owns, goes too. */
  async function collect(ns: string, uid: string): Promise<void> {
    const alive = new Set(KINDS.flatMap((k) => owners[k].list().map((o) => o.metadata?.uid)));
    const owned = (o: Obj): boolean => {
      const refs = o.metadata?.ownerReferences ?? [];
      return refs.some((r) => r.uid === uid) && refs.every((r) => !alive.has(r.uid));
    };
    for (const rs of owners.ReplicaSet.list().filter((o) => o.metadata?.namespace === ns && owned(o))) {
      await client.request('DELETE', path('ReplicaSet', ns, rs.metadata!.name!), { body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' } }).catch(() => undefined);
    }
    for (const pod of pods.list().filter((p) => p.metadata?.namespace === ns && owned(p) && !p.metadata?.deletionTimestamp)) {
      await client.request('DELETE', podsPath(ns, pod.metadata!.name!)).catch(() => undefined);
    }
  }

  const syncs: Record<Kind, (key: string, ns: string, name: string) => Promise<number | undefined>> = {
    Deployment: syncDeployment, ReplicaSet: syncReplicaSet, StatefulSet: syncStatefulSet, Job: syncJob,
  };
  const queue = new WorkQueue(async (key) => {
    const [kind, ns, name] = key.split('/') as [string, string, string];
    if (kind === 'GC') return collect(ns, name);
    if (!expectations.satisfied(key)) {
      queue.addAfter(key, 50);
      return;
    }
    const requeueAfter = await syncs[kind as Kind](key, ns, name);
    if (requeueAfter !== undefined) queue.addAfter(key, requeueAfter);
  }, {
    workers: 4,
    onError: (key, err, delayMs) => log.warn({ key, err: errorMessage(err), retryInMs: delayMs }, 'workload sync failed; will retry'),
  });

  await Promise.all([...KINDS.map((k) => owners[k].start()), pods.start()]);
  synced = true;
  for (const kind of KINDS) for (const o of owners[kind].list()) enqueue(kind, o.metadata?.namespace, o.metadata?.name);
  log.info('workload controllers started');
  return {
    async stop() {
      queue.shutdown();
      for (const kind of KINDS) owners[kind].stop();
      pods.stop();
      await Promise.all(KINDS.map((k) => events[k].flush()));
      await client.close();
    },
  };
}

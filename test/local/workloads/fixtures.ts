// Builders for workload controller tests: pods in given states and owners with given specs.
import type { Deployment, Job, Pod, ReplicaSet, StatefulSet } from '../../../src/local/workloads/objects.ts';

export const NOW = Date.parse('2026-06-01T12:00:00Z');
export const ago = (seconds: number): string => new Date(NOW - seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface PodState {
  name: string;
  node?: string;
  phase?: string;
  /** Seconds since it became ready; undefined: not ready. */
  readyFor?: number;
  /** Seconds since it was created. */
  age?: number;
  cost?: number;
  restarts?: number;
  owner?: string;
  labels?: Record<string, string>;
  deleting?: boolean;
}

export function pod(s: PodState): Pod {
  return {
    metadata: {
      name: s.name, namespace: 'team', uid: `uid-${s.name}`, creationTimestamp: ago(s.age ?? 600), labels: s.labels ?? { app: 'web' },
      ...(s.cost === undefined ? {} : { annotations: { 'controller.kubernetes.io/pod-deletion-cost': String(s.cost) } }),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: s.owner ?? 'web-rs', uid: `uid-${s.owner ?? 'web-rs'}`, controller: true }],
      ...(s.deleting ? { deletionTimestamp: ago(0) } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'nginx' }], ...(s.node ? { nodeName: s.node } : {}) },
    status: {
      phase: s.phase ?? 'Running',
      conditions: s.readyFor === undefined ? [{ type: 'Ready', status: 'False' }] : [{ type: 'Ready', status: 'True', lastTransitionTime: ago(s.readyFor) }],
      containerStatuses: [{ name: 'c', image: 'nginx', imageID: '', ready: s.readyFor !== undefined, restartCount: s.restarts ?? 0 }],
    },
  };
}

const template = (image = 'nginx') => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } });

export function replicaSet(name: string, replicas: number, status: { replicas?: number; available?: number } = {}, extra: Partial<NonNullable<ReplicaSet['metadata']>> = {}, image = 'nginx'): ReplicaSet {
  return {
    apiVersion: 'apps/v1', kind: 'ReplicaSet',
    metadata: { name, namespace: 'team', uid: `uid-${name}`, generation: 1, creationTimestamp: ago(1000), ...extra },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: template(image) },
    status: { replicas: status.replicas ?? replicas, availableReplicas: status.available ?? replicas, readyReplicas: status.available ?? replicas },
  };
}

export function deployment(replicas: number, strategy: NonNullable<Deployment['spec']>['strategy'] = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } }, image = 'nginx'): Deployment {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'web', namespace: 'team', uid: 'uid-web', generation: 2, creationTimestamp: ago(2000) },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: template(image), strategy, progressDeadlineSeconds: 600, revisionHistoryLimit: 10 },
    status: { observedGeneration: 1 },
  };
}

export function statefulSet(replicas: number, extra: Partial<NonNullable<StatefulSet['spec']>> = {}): StatefulSet {
  return {
    apiVersion: 'apps/v1', kind: 'StatefulSet',
    metadata: { name: 'db', namespace: 'team', uid: 'uid-db', generation: 1 },
    spec: { replicas, serviceName: 'db', selector: { matchLabels: { app: 'web' } }, template: template(), podManagementPolicy: 'OrderedReady', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } }, ...extra },
  };
}

export function job(spec: Partial<NonNullable<Job['spec']>> = {}, status: NonNullable<Job['status']> = {}): Job {
  return {
    apiVersion: 'batch/v1', kind: 'Job',
    metadata: { name: 'pi', namespace: 'team', uid: 'uid-pi', generation: 1 },
    spec: { parallelism: 1, completions: 1, backoffLimit: 6, template: { ...template(), spec: { ...template().spec, restartPolicy: 'Never' } }, ...spec },
    status: { startTime: ago(5), ...status },
  };
}

// Small builders for scheduler tables: nodes and pods with just the fields under test.
import type { V1Node, V1Pod, V1PodSpec, V1Taint } from '@kubernetes/client-node';

export function node(
  name: string,
  opts: { cpu?: string; memory?: string; pods?: string; labels?: Record<string, string>; taints?: V1Taint[]; ready?: string; unschedulable?: boolean; extra?: Record<string, string> } = {},
): V1Node {
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...opts.labels } },
    spec: { taints: opts.taints, unschedulable: opts.unschedulable },
    status: {
      allocatable: { cpu: opts.cpu ?? '4', memory: opts.memory ?? '8Gi', pods: opts.pods ?? '110', ...opts.extra },
      conditions: opts.ready === 'missing' ? [] : [{ type: 'Ready', status: opts.ready ?? 'True' }],
    },
  };
}

export function pod(name: string, requests: Record<string, string> = {}, spec: Partial<V1PodSpec> = {}): V1Pod {
  return {
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'app', image: 'nginx', resources: { requests } }], ...spec },
  };
}

export function bound(p: V1Pod, nodeName: string, phase = 'Running'): V1Pod {
  return { ...p, spec: { ...p.spec!, nodeName }, status: { phase } };
}

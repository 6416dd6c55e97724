// What metrics-server reads: /metrics/resource (Prometheus text, the kubelet's stable resource
// metrics) and /stats/summary (the Summary API), computed from the backend's usage figures.
import type { PodUsage } from './backend.ts';

const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const seconds = (iso: string | undefined): number | undefined => (iso && !Number.isNaN(Date.parse(iso)) ? Date.parse(iso) / 1000 : undefined);

export function renderResourceMetrics(pods: readonly PodUsage[], nowMs: number): string {
  const out: string[] = [];
  const family = (name: string, type: 'counter' | 'gauge', help: string, samples: [string, number][]): void => {
    out.push(`# HELP ${name} [STABLE] ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) out.push(`${name}${labels} ${value} ${nowMs}`);
  };
  const containerSamples = (pick: (c: PodUsage['containers'][number]) => number | undefined): [string, number][] =>
    pods.flatMap((p) =>
      p.containers.flatMap((c) => {
        const v = pick(c);
        return v === undefined ? [] : [[`{container="${esc(c.name)}",namespace="${esc(p.namespace)}",pod="${esc(p.name)}"}`, v] as [string, number]];
      }),
    );
  const podSamples = (pick: (c: PodUsage['containers'][number]) => number): [string, number][] =>
    pods.map((p) => [`{namespace="${esc(p.namespace)}",pod="${esc(p.name)}"}`, p.containers.reduce((s, c) => s + pick(c), 0)]);
  const cpu = (c: PodUsage['containers'][number]): number => c.usageCoreNanoSeconds / 1e9;
  const mem = (c: PodUsage['containers'][number]): number => c.workingSetBytes;
  const all = pods.flatMap((p) => p.containers);
  family('container_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed by the container in core-seconds', containerSamples(cpu));
  family('container_memory_working_set_bytes', 'gauge', 'Current working set of the container in bytes', containerSamples(mem));
  family('container_start_time_seconds', 'gauge', 'Start time of the container since unix epoch in seconds', containerSamples((c) => seconds(c.startTime)));
  family('node_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed by the node in core-seconds', [['', all.reduce((s, c) => s + cpu(c), 0)]]);
  family('node_memory_working_set_bytes', 'gauge', 'Current working set of the node in bytes', [['', all.reduce((s, c) => s + mem(c), 0)]]);
  family('pod_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed by the pod in core-seconds', podSamples(cpu));
  family('pod_memory_working_set_bytes', 'gauge', 'Current working set of the pod in bytes', podSamples(mem));
  out.push('# HELP scrape_error [ALPHA] 1 if there was an error while getting container metrics, 0 otherwise', '# TYPE scrape_error gauge', 'scrape_error 0');
  return out.join('\n') + '\n';
}

export function statsSummary(nodeName: string, nodeStartTime: string, pods: readonly PodUsage[], nowMs: number): unknown {
  const time = new Date(nowMs).toISOString();
  const usage = (cs: readonly PodUsage['containers'][number][]) => ({
    cpu: { time, usageCoreNanoSeconds: cs.reduce((s, c) => s + c.usageCoreNanoSeconds, 0) },
    memory: { time, workingSetBytes: cs.reduce((s, c) => s + c.workingSetBytes, 0) },
  });
  return {
    node: { nodeName, startTime: nodeStartTime, ...usage(pods.flatMap((p) => p.containers)) },
    pods: pods.map((p) => ({
      podRef: { name: p.name, namespace: p.namespace, uid: p.uid },
      startTime: p.startTime,
      containers: p.containers.map((c) => ({ name: c.name, startTime: c.startTime, ...usage([c]) })),
      ...usage(p.containers),
    })),
  };
}

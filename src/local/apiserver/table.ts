// meta.k8s.io/v1 Table responses, the server-side printing `kubectl get` asks for, with the
// columns kube-apiserver's printers use for the kinds burstlet cares about.
import { isObject, type JsonObject } from './patch.ts';
import { formatSelector, type LabelSelectorObject } from './selectors.ts';
import type { KubeObject } from './store.ts';

export interface Column {
  name: string;
  type: 'string' | 'integer' | 'date';
  format?: string;
  description: string;
  priority: number;
  cell(o: KubeObject, now: number): unknown;
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

const o = (v: unknown): JsonObject => (isObject(v) ? v : {});
const arr = (v: unknown): JsonObject[] => (Array.isArray(v) ? v.filter(isObject) : []);
const s = (v: unknown, fallback = '<none>'): string => (typeof v === 'string' && v !== '' ? v : fallback);

/** kube's duration.HumanDuration, the AGE column. */
export function humanDuration(ms: number): string {
  const sec = Math.floor(ms / 1000);
  if (sec < 0) return '<invalid>';
  if (sec < 120) return `${sec}s`;
  const min = Math.floor(sec / 60);
  if (min < 10) return `${min}m${sec % 60 === 0 ? '' : `${sec % 60}s`}`;
  if (min < 180) return `${min}m`;
  const h = Math.floor(min / 60);
  if (h < 8) return `${h}h${min % 60 === 0 ? '' : `${min % 60}m`}`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 24 * 8) return `${d}d${h % 24 === 0 ? '' : `${h % 24}h`}`;
  if (d < 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  if (d < 365 * 8) return `${y}y${d % 365 === 0 ? '' : `${d % 365}d`}`;
  return `${y}y`;
}

const age = (ts: unknown, now: number): string => (typeof ts === 'string' ? humanDuration(now - Date.parse(ts)) : '<unknown>');

const NAME: Column = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0, cell: (x) => x.metadata.name ?? '' };
const AGE: Column = { name: 'Age', type: 'string', description: 'CreationTimestamp is the time the object was created.', priority: 0, cell: (x, now) => age(x.metadata.creationTimestamp, now) };
const col = (name: string, cell: Column['cell'], priority = 0, type: Column['type'] = 'string'): Column => ({ name, type, description: name, priority, cell });

/** The STATUS column of `kubectl get pods`, following kubectl's printPod. */
export function podStatusReason(pod: KubeObject): string {
  const status = o(pod.status);
  let reason = s(status.reason, s(status.phase, 'Unknown'));
  const inits = arr(status.initContainerStatuses);
  inits.forEach((c, i) => {
    const st = o(c.state);
    if (isObject(st.terminated) && st.terminated.exitCode === 0) return;
    if (isObject(st.terminated)) reason = `Init:${s(st.terminated.reason, `ExitCode:${String(st.terminated.exitCode)}`)}`;
    else if (isObject(st.waiting) && s(st.waiting.reason, '') !== '' && st.waiting.reason !== 'PodInitializing') reason = `Init:${s(st.waiting.reason)}`;
    else reason = `Init:${i}/${arr(o(pod.spec).initContainers).length}`;
  });
  if (!reason.startsWith('Init:')) {
    for (const c of arr(status.containerStatuses)) {
      const st = o(c.state);
      if (isObject(st.waiting) && s(st.waiting.reason, '') !== '') reason = s(st.waiting.reason);
      else if (isObject(st.terminated)) reason = s(st.terminated.reason, `ExitCode:${String(st.terminated.exitCode)}`);
    }
  }
  if (pod.metadata.deletionTimestamp) reason = status.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

const POD_COLUMNS: Column[] = [
  NAME,
  col('Ready', (p) => {
    const statuses = arr(o(p.status).containerStatuses);
    return `${statuses.filter((c) => c.ready === true).length}/${arr(o(p.spec).containers).length}`;
  }),
  col('Status', podStatusReason),
  col('Restarts', (p) => arr(o(p.status).containerStatuses).reduce((n, c) => n + (typeof c.restartCount === 'number' ? c.restartCount : 0), 0), 0, 'integer'),
  AGE,
  col('IP', (p) => s(o(p.status).podIP), 1),
  col('Node', (p) => s(o(p.spec).nodeName), 1),
  col('Nominated Node', (p) => s(o(p.status).nominatedNodeName), 1),
  col('Readiness Gates', (p) => (arr(o(p.spec).readinessGates).length === 0 ? '<none>' : String(arr(o(p.spec).readinessGates).length)), 1),
];

function nodeStatus(n: KubeObject): string {
  const ready = arr(o(n.status).conditions).find((c) => c.type === 'Ready');
  const base = !ready ? 'Unknown' : ready.status === 'True' ? 'Ready' : ready.status === 'False' ? 'NotReady' : 'Unknown';
  return o(n.spec).unschedulable === true ? `${base},SchedulingDisabled` : base;
}

function nodeRoles(n: KubeObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(n.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) roles.add(k.slice('node-role.kubernetes.io/'.length) || v);
    else if (k === 'kubernetes.io/role' && v !== '') roles.add(v);
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
}

const address = (n: KubeObject, type: string): string => s(arr(o(n.status).addresses).find((a) => a.type === type)?.address);
const nodeInfo = (n: KubeObject, key: string): string => s(o(o(n.status).nodeInfo)[key], '<unknown>');

const NODE_COLUMNS: Column[] = [
  NAME,
  col('Status', nodeStatus),
  col('Roles', nodeRoles),
  AGE,
  col('Version', (n) => s(o(o(n.status).nodeInfo).kubeletVersion, '')),
  col('Internal-IP', (n) => address(n, 'InternalIP'), 1),
  col('External-IP', (n) => address(n, 'ExternalIP'), 1),
  col('OS-Image', (n) => nodeInfo(n, 'osImage'), 1),
  col('Kernel-Version', (n) => nodeInfo(n, 'kernelVersion'), 1),
  col('Container-Runtime', (n) => nodeInfo(n, 'containerRuntimeVersion'), 1),
];

function servicePorts(svc: KubeObject): string {
  const ports = arr(o(svc.spec).ports).map((p) => `${String(p.port)}${p.nodePort ? `:${String(p.nodePort)}` : ''}/${s(p.protocol, 'TCP')}`);
  return ports.length === 0 ? '<none>' : ports.join(',');
}

const SERVICE_COLUMNS: Column[] = [
  NAME,
  col('Type', (x) => s(o(x.spec).type, 'ClusterIP')),
  col('Cluster-IP', (x) => s(o(x.spec).clusterIP)),
  col('External-IP', (x) => (o(x.spec).type === 'ExternalName' ? s(o(x.spec).externalName) : '<none>')),
  col('Port(s)', servicePorts),
  AGE,
  col('Selector', (x) => {
    const sel = Object.entries(o(o(x.spec).selector));
    return sel.length === 0 ? '<none>' : sel.map(([k, v]) => `${k}=${String(v)}`).join(',');
  }, 1),
];

function involved(ev: KubeObject): string {
  const ref = o(ev.involvedObject ?? ev.regarding);
  return `${s(ref.kind, '').toLowerCase()}/${s(ref.name, '')}`;
}

const EVENT_COLUMNS: Column[] = [
  col('Last Seen', (e, now) => age(e.lastTimestamp ?? e.eventTime ?? e.deprecatedLastTimestamp ?? e.metadata.creationTimestamp, now)),
  col('Type', (e) => s(e.type, '')),
  col('Reason', (e) => s(e.reason, '')),
  col('Object', involved),
  col('Message', (e) => s(e.message ?? e.note, '')),
];

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const containerNames = (x: KubeObject): string => arr(o(o(o(x.spec).template).spec).containers).map((c) => s(c.name, '')).join(',');
const containerImages = (x: KubeObject): string => arr(o(o(o(x.spec).template).spec).containers).map((c) => s(c.image, '')).join(',');
const selectorOf = (x: KubeObject): string => {
  const sel = o(o(x.spec).selector);
  return Object.keys(sel).length === 0 ? '<none>' : formatSelector(sel as LabelSelectorObject) || '<none>';
};
const WORKLOAD_WIDE = [col('Containers', containerNames, 1), col('Images', containerImages, 1), col('Selector', selectorOf, 1)];

const hasCondition = (x: KubeObject, type: string): boolean => arr(o(x.status).conditions).some((c) => c.type === type && c.status === 'True');

function jobStatus(x: KubeObject): string {
  if (hasCondition(x, 'Complete')) return 'Complete';
  if (hasCondition(x, 'Failed')) return 'Failed';
  if (x.metadata.deletionTimestamp) return 'Terminating';
  if (hasCondition(x, 'Suspended')) return 'Suspended';
  if (hasCondition(x, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(x, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

function jobCompletions(x: KubeObject): string {
  const spec = o(x.spec);
  const succeeded = num(o(x.status).succeeded);
  if (typeof spec.completions === 'number') return `${succeeded}/${spec.completions}`;
  return typeof spec.parallelism === 'number' && spec.parallelism > 1 ? `${succeeded}/1 of ${spec.parallelism}` : `${succeeded}/1`;
}

function jobDuration(x: KubeObject, now: number): string {
  const status = o(x.status);
  if (typeof status.startTime !== 'string') return '';
  const end = typeof status.completionTime === 'string' ? Date.parse(status.completionTime) : now;
  return humanDuration(end - Date.parse(status.startTime));
}

const COLUMNS: Record<string, Column[]> = {
  Deployment: [
    NAME,
    col('Ready', (x) => `${num(o(x.status).readyReplicas)}/${num(o(x.spec).replicas)}`),
    col('Up-to-date', (x) => num(o(x.status).updatedReplicas), 0, 'integer'),
    col('Available', (x) => num(o(x.status).availableReplicas), 0, 'integer'),
    AGE,
    ...WORKLOAD_WIDE,
  ],
  ReplicaSet: [
    NAME,
    col('Desired', (x) => num(o(x.spec).replicas), 0, 'integer'),
    col('Current', (x) => num(o(x.status).replicas), 0, 'integer'),
    col('Ready', (x) => num(o(x.status).readyReplicas), 0, 'integer'),
    AGE,
    ...WORKLOAD_WIDE,
  ],
  StatefulSet: [NAME, col('Ready', (x) => `${num(o(x.status).readyReplicas)}/${num(o(x.spec).replicas)}`), AGE, ...WORKLOAD_WIDE.slice(0, 2)],
  Job: [NAME, col('Status', jobStatus), col('Completions', jobCompletions), col('Duration', jobDuration), AGE, ...WORKLOAD_WIDE],
  Pod: POD_COLUMNS,
  Node: NODE_COLUMNS,
  Service: SERVICE_COLUMNS,
  Event: EVENT_COLUMNS,
  Namespace: [NAME, col('Status', (x) => s(o(x.status).phase, '')), AGE],
  ConfigMap: [NAME, col('Data', (x) => Object.keys(o(x.data)).length + Object.keys(o(x.binaryData)).length, 0, 'integer'), AGE],
  Secret: [NAME, col('Type', (x) => s(x.type, 'Opaque')), col('Data', (x) => Object.keys(o(x.data)).length, 0, 'integer'), AGE],
  ServiceAccount: [NAME, col('Secrets', (x) => arr(x.secrets).length, 0, 'integer'), AGE],
  Lease: [NAME, col('Holder', (x) => s(o(x.spec).holderIdentity, '')), AGE],
  EndpointSlice: [
    NAME,
    col('AddressType', (x) => s(x.addressType, '')),
    col('Ports', (x) => (arr(x.ports).map((p) => String(p.port ?? '')).join(',') || '<unset>')),
    col('Endpoints', (x) => arr(x.endpoints).flatMap((e) => (Array.isArray(e.addresses) ? e.addresses.map(String) : [])).join(',') || '<unset>'),
    AGE,
  ],
};

export function partialMetadata(obj: KubeObject): JsonObject {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

/** Builds a Table of `items`; `columns: false` leaves out the column definitions (watch events after the first). */
export function toTable(kind: string, items: readonly KubeObject[], include: IncludeObject, listMeta: JsonObject, columns = true): JsonObject {
  const defs = COLUMNS[kind] ?? [NAME, AGE];
  const now = Date.now();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: columns ? defs.map(({ cell: _cell, ...d }) => ({ format: '', ...d })) : [],
    rows: items.map((item) => {
      const row: JsonObject = { cells: defs.map((d) => d.cell(item, now)) };
      if (include === 'Object') row.object = item;
      else if (include === 'Metadata') row.object = partialMetadata(item);
      return row;
    }),
  };
}

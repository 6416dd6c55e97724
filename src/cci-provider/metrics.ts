// The metrics of `burstlet node`: what an operator watches (pods by phase, sync durations, how
// long statuses wait for their write, API requests by verb, CCI errors), also read by the
// benchmark.
import { Registry, type Counter, type Summary } from '../provider/metrics.ts';

export interface NodeMetrics {
  registry: Registry;
  /** Kubernetes API requests: labels verb (GET, WATCH, POST, PATCH, PUT, DELETE), resource, code. */
  apiRequests: Counter;
  /** CCI API calls that failed: labels operation, reason. */
  cciErrors: Counter;
  /** One pod sync (reconcile), seconds: label result. */
  podSync: Summary;
  /** CCI pod creations, seconds. */
  cciCreate: Summary;
  /** From a pod status decided to its write starting, seconds. */
  statusWait: Summary;
  /** Pod status writes, seconds. */
  statusWrite: Summary;
}

/** The resource of an API path: /api/v1/namespaces/x/pods/y/status → pods/status. */
export function resourceOf(path: string): string {
  const parts = path.split('?')[0]!.split('/').filter((p) => p !== '');
  const rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  const afterNs = rest[0] === 'namespaces' && rest.length > 2 ? rest.slice(2) : rest;
  return afterNs.length >= 3 ? `${afterNs[0]}/${afterNs[2]}` : (afterNs[0] ?? '');
}

export function nodeMetrics(podsByPhase: () => Map<string, number>): NodeMetrics {
  const registry = new Registry();
  const apiRequests = registry.counter('burstlet_kube_api_requests_total', 'Kubernetes API requests made by burstlet, by verb, resource and HTTP code');
  const cciErrors = registry.counter('burstlet_cci_errors_total', 'CCI API calls that failed, by operation and reason');
  const podSync = registry.summary('burstlet_pod_sync_duration_seconds', 'Time to sync one pod with CCI');
  const cciCreate = registry.summary('burstlet_cci_create_duration_seconds', 'Time of one CCI pod creation request');
  const statusWait = registry.summary('burstlet_pod_status_wait_seconds', 'Time a pod status decided from CCI waited for its write to the API server');
  const statusWrite = registry.summary('burstlet_pod_status_write_duration_seconds', 'Time of one pod status write to the API server');
  registry.gauge('burstlet_process_memory_bytes', 'Memory of this process (rss, heapTotal, heapUsed, external, arrayBuffers)', () =>
    Object.entries(process.memoryUsage()).map(([kind, bytes]) => [{ kind }, bytes]));
  registry.gauge('burstlet_pods', 'Pods bound to this node, by phase', () => [...podsByPhase()].map(([phase, n]) => [{ phase }, n]));
  return { registry, apiRequests, cciErrors, podSync, cciCreate, statusWait, statusWrite };
}

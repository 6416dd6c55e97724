import { describe, expect, it } from 'vitest';
import { Registry } from '../../src/provider/metrics.ts';
import { resourceOf } from '../../src/cci-provider/metrics.ts';

describe('resourceOf', () => {
  it.each([
    ['/api/v1/namespaces/default/pods/web/status', 'pods/status'],
    ['/api/v1/namespaces/default/pods/web', 'pods'],
    ['/api/v1/namespaces/default/events', 'events'],
    ['/api/v1/pods?fieldSelector=spec.nodeName%3Dn', 'pods'],
    ['/api/v1/nodes/n/status', 'nodes/status'],
    ['/api/v1/nodes', 'nodes'],
    ['/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n', 'leases'],
    ['/api/v1/namespaces/ns/serviceaccounts/default/token', 'serviceaccounts/token'],
  ])('%s → %s', (path, resource) => expect(resourceOf(path)).toBe(resource));
});

describe('Registry', () => {
  it('renders counters, gauges and summaries in the Prometheus text format', () => {
    const r = new Registry();
    const c = r.counter('x_total', 'Things');
    c.inc({ verb: 'POST' });
    c.inc({ verb: 'POST' }, 2);
    c.inc({ verb: 'GET' });
    r.gauge('pods', 'Pods', () => [[{ phase: 'Running' }, 3]]);
    const s = r.summary('d_seconds', 'Durations');
    for (const v of [1, 2, 3, 4]) s.observe(v);
    const text = r.text();
    expect(text).toContain('# TYPE x_total counter\nx_total{verb="POST"} 3\nx_total{verb="GET"} 1\n');
    expect(text).toContain('pods{phase="Running"} 3\n');
    expect(text).toContain('d_seconds{quantile="0.5"} 3\n');
    expect(text).toContain('d_seconds_sum 10\nd_seconds_count 4\n');
    expect(c.total((l) => l.includes('POST'))).toBe(3);
  });
});

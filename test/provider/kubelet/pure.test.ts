import { describe, expect, it } from 'vitest';
import { forbiddenMessage, kubeletAuthzAttributes } from '../../../src/provider/kubelet/authz-attributes.ts';
import { parseLogQuery } from '../../../src/provider/kubelet/log-query.ts';
import { canonicalRequestPath } from '../../../src/provider/kubelet/request-path.ts';
import { renderResourceMetrics, statsSummary } from '../../../src/provider/kubelet/resource-metrics.ts';

describe('kubelet subresource mapping', () => {
  it.each([
    ['GET', '/stats/summary', 'get', 'stats'],
    ['GET', '/stats', 'get', 'stats'],
    ['GET', '/metrics/resource', 'get', 'metrics'],
    ['GET', '/metrics', 'get', 'metrics'],
    ['GET', '/logs/syslog', 'get', 'log'],
    ['GET', '/containerLogs/ns/p/c?follow=true', 'get', 'proxy'],
    ['POST', '/exec/ns/p/c?command=ls', 'create', 'proxy'],
    // WebSocket upgrades are GETs: streaming endpoints are create whatever the method (README, "Kubelet API authorization").
    ['GET', '/exec/ns/p/c', 'create', 'proxy'],
    ['GET', '/attach/ns/p/c', 'create', 'proxy'],
    ['GET', '/portForward/ns/p', 'create', 'proxy'],
    ['GET', '/run/ns/p/c', 'create', 'proxy'],
    ['GET', '/execx', 'get', 'proxy'],
    ['POST', '/portForward/ns/p', 'create', 'proxy'],
    ['GET', '/pods', 'get', 'proxy'],
    ['GET', '/healthz', 'get', 'proxy'],
    ['GET', '/statsfoo', 'get', 'proxy'],
    ['DELETE', '/x', 'delete', 'proxy'],
  ])('%s %s → %s nodes/%s', (method, path, verb, subresource) => {
    expect(kubeletAuthzAttributes(method, path, 'vk')).toEqual({ verb, resource: 'nodes', subresource, name: 'vk' });
  });

  it('writes the kubelet 403 body', () => {
    expect(forbiddenMessage('alice', kubeletAuthzAttributes('POST', '/exec/a/b/c', 'vk'))).toBe(
      'Forbidden (user=alice, verb=create, resource=nodes, subresource(s)=[proxy])\n',
    );
  });
});

describe('container log query', () => {
  it.each([
    ['', { follow: false, previous: false, timestamps: false }],
    ['follow=true&timestamps=1&tailLines=0', { follow: true, previous: false, timestamps: true, tailLines: 0 }],
    ['previous=true&sinceSeconds=10&limitBytes=5', { follow: false, previous: true, timestamps: false, sinceSeconds: 10, limitBytes: 5 }],
    ['sinceTime=2024-01-02T03:04:05Z', { follow: false, previous: false, timestamps: false, sinceTime: '2024-01-02T03:04:05Z' }],
  ])('%j', (q, want) => {
    expect(parseLogQuery(new URLSearchParams(q))).toEqual(want);
  });

  it.each([
    ['follow=yes', /follow/],
    ['tailLines=-1', /tailLines/],
    ['sinceSeconds=0', /sinceSeconds/],
    ['limitBytes=x', /limitBytes/],
    ['sinceTime=yesterday', /sinceTime/],
    ['sinceSeconds=5&sinceTime=2024-01-02T03:04:05Z', /at most one/],
  ])('rejects %j', (q, msg) => {
    expect(() => parseLogQuery(new URLSearchParams(q))).toThrow(msg);
  });
});

describe('resource metrics', () => {
  const pods = [
    {
      namespace: 'ns',
      name: 'p',
      uid: 'u1',
      startTime: '2024-01-01T00:00:00Z',
      containers: [
        { name: 'a', startTime: '2024-01-01T00:00:10Z', usageCoreNanoSeconds: 1_500_000_000, workingSetBytes: 1000 },
        { name: 'b', usageCoreNanoSeconds: 500_000_000, workingSetBytes: 24 },
      ],
    },
  ];

  it('renders the series metrics-server reads, with labels and node totals', () => {
    const text = renderResourceMetrics(pods, 1000);
    expect(text).toContain('container_cpu_usage_seconds_total{container="a",namespace="ns",pod="p"} 1.5 1000\n');
    expect(text).toContain('container_memory_working_set_bytes{container="b",namespace="ns",pod="p"} 24 1000\n');
    expect(text).toContain('container_start_time_seconds{container="a",namespace="ns",pod="p"} 1704067210 1000\n');
    expect(text).not.toContain('container_start_time_seconds{container="b"');
    expect(text).toContain('node_cpu_usage_seconds_total 2 1000\n');
    expect(text).toContain('node_memory_working_set_bytes 1024 1000\n');
    expect(text).toContain('pod_memory_working_set_bytes{namespace="ns",pod="p"} 1024 1000\n');
    expect(text).toContain('# TYPE container_cpu_usage_seconds_total counter\n');
  });

  it('builds a Summary with per-pod and node sums', () => {
    const s = statsSummary('vk', '2024-01-01T00:00:00Z', pods, 0) as { node: { memory: { workingSetBytes: number } }; pods: { podRef: object; cpu: { usageCoreNanoSeconds: number } }[] };
    expect(s.node.memory.workingSetBytes).toBe(1024);
    expect(s.pods[0]!.podRef).toEqual({ name: 'p', namespace: 'ns', uid: 'u1' });
    expect(s.pods[0]!.cpu.usageCoreNanoSeconds).toBe(2_000_000_000);
  });
});

describe('canonical request path', () => {
  it.each([
    ['/stats/summary', '/stats/summary', ['stats', 'summary']],
    ['/', '/', []],
    ['/pods?x=../..', '/pods?x=../..', ['pods']],
    ['/stats/', '/stats/', ['stats']],
    ['/exec/ns/p/c?command=a%2Fb', '/exec/ns/p/c?command=a%2Fb', ['exec', 'ns', 'p', 'c']],
  ])('%s is canonical', (raw, url, segments) => {
    expect(canonicalRequestPath(raw)).toEqual({ kind: 'canonical', url, segments });
  });

  it.each([
    ['/stats/../exec/a/b/c', '/exec/a/b/c'],
    ['/metrics/%2e%2e/exec/a/b/c?q=1', '/exec/a/b/c?q=1'],
    ['/../../pods', '/pods'],
    ['//pods', '/pods'],
    ['/./healthz', '/healthz'],
    ['/st%61ts/summary', '/stats/summary'],
    ['/exec/ns/p/c#/../../x', '/exec/ns/x'],
  ])('%s redirects to %s', (raw, location) => {
    expect(canonicalRequestPath(raw)).toEqual({ kind: 'redirect', location });
  });

  it.each(['/stats/..%2fexec', '/a%5Cb', '/stats\\..\\exec', '/%zz', 'pods', '/a%00b', '/' + 'a'.repeat(20_000)])('%s is refused', (raw) => {
    expect(canonicalRequestPath(raw).kind).toBe('refused');
  });

  it('a redirect target is canonical (the clean form is a fixed point)', () => {
    for (const raw of ['/stats/../exec/a/b/c', '/metrics/%2e%2e/x', '//a//b/./c/..', '/st%61ts/summary', '/exec/ns/p/c#/../../x']) {
      const first = canonicalRequestPath(raw);
      if (first.kind !== 'redirect') throw new Error(`expected a redirect for ${raw}`);
      expect(canonicalRequestPath(first.location).kind).toBe('canonical');
    }
  });
});

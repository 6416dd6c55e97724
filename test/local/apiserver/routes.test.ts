import { describe, expect, it } from 'vitest';
import { parseApiPath, verbOf } from '../../../src/local/apiserver/routes.ts';
import { negotiate } from '../../../src/local/apiserver/encoding.ts';
import { ServiceIpAllocator } from '../../../src/local/apiserver/service-ips.ts';

describe('API paths', () => {
  const simple = (p: string) => {
    const r = parseApiPath(p);
    return r && { g: r.group, v: r.version, res: r.def?.plural ?? r.unknownResource, ns: r.namespace, name: r.name, sub: r.subresource, watch: r.watchPrefix };
  };
  it.each([
    ['/api/v1', { g: '', v: 'v1', res: undefined, ns: undefined, name: undefined, sub: undefined, watch: false }],
    ['/api/v1/pods', { g: '', v: 'v1', res: 'pods', ns: undefined, name: undefined, sub: undefined, watch: false }],
    ['/api/v1/namespaces', { g: '', v: 'v1', res: 'namespaces', ns: undefined, name: undefined, sub: undefined, watch: false }],
    ['/api/v1/namespaces/default', { g: '', v: 'v1', res: 'namespaces', ns: undefined, name: 'default', sub: undefined, watch: false }],
    ['/api/v1/namespaces/default/status', { g: '', v: 'v1', res: 'namespaces', ns: undefined, name: 'default', sub: 'status', watch: false }],
    ['/api/v1/namespaces/ns1/pods/p/status', { g: '', v: 'v1', res: 'pods', ns: 'ns1', name: 'p', sub: 'status', watch: false }],
    ['/api/v1/namespaces/ns1/pods/p/exec', { g: '', v: 'v1', res: 'pods', ns: 'ns1', name: 'p', sub: 'exec', watch: false }],
    ['/api/v1/watch/namespaces/ns1/pods', { g: '', v: 'v1', res: 'pods', ns: 'ns1', name: undefined, sub: undefined, watch: true }],
    ['/apis/discovery.k8s.io/v1/namespaces/a/endpointslices/x', { g: 'discovery.k8s.io', v: 'v1', res: 'endpointslices', ns: 'a', name: 'x', sub: undefined, watch: false }],
    ['/apis/apps/v1/deployments', { g: 'apps', v: 'v1', res: 'deployments', ns: undefined, name: undefined, sub: undefined, watch: false }],
  ])('%s', (path, expected) => {
    expect(simple(path)).toEqual(expected);
  });

  it('is undefined outside the API', () => {
    expect(parseApiPath('/healthz')).toBeUndefined();
  });

  it.each([
    ['GET', '/api/v1/pods', undefined, 'list'],
    ['GET', '/api/v1/pods', 'true', 'watch'],
    ['GET', '/api/v1/watch/pods', undefined, 'watch'],
    ['GET', '/api/v1/namespaces/a/pods/p', undefined, 'get'],
    ['DELETE', '/api/v1/namespaces/a/pods', undefined, 'deletecollection'],
    ['DELETE', '/api/v1/namespaces/a/pods/p', undefined, 'delete'],
    ['PATCH', '/api/v1/namespaces/a/pods/p', undefined, 'patch'],
  ])('%s %s watch=%s → %s', (method, path, watch, verb) => {
    expect(verbOf(method, parseApiPath(path)!, watch)).toBe(verb);
  });
});

describe('content negotiation', () => {
  it.each([
    ['application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json', 'table'],
    ['application/vnd.kubernetes.protobuf,application/json', 'json'],
    ['application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json', 'partial'],
    [undefined, 'json'],
    ['*/*', 'json'],
  ])('%s → %s', (accept, rep) => {
    expect(negotiate(accept)).toBe(rep);
  });
});

describe('ClusterIP allocation', () => {
  it('allocates outside the static band, never .0/.255, and honours explicit requests once', () => {
    const ips = new ServiceIpAllocator();
    expect(ips.allocate('198.19.0.10')).toBe('198.19.0.10');
    expect(ips.allocate('198.19.0.10')).toEqual({ error: expect.stringContaining('already allocated') });
    expect(ips.allocate('10.0.0.1')).toEqual({ error: expect.stringContaining('not in the valid range') });
    expect(ips.allocate('198.19.0.0')).toEqual({ error: expect.stringContaining('not in the valid range') });
    const dynamic = Array.from({ length: 300 }, () => ips.allocate('') as string);
    expect(new Set(dynamic).size).toBe(300);
    for (const ip of dynamic) expect(ip).toMatch(/^198\.19\.([1-9]\d*)\.(\d+)$/);
    expect(dynamic.filter((ip) => /\.(0|255)$/.test(ip))).toEqual([]);
    ips.release('198.19.0.10');
    expect(ips.allocate('198.19.0.10')).toBe('198.19.0.10');
  });
});

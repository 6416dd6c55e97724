import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  authorizationVerb,
  kubeletEndpoint,
  kubeletLogQuery,
  kubeletPath,
  parsePodSubresourcePath,
  resolveContainer,
} from '../../../src/local/proxy/kubelet-target.ts';

describe('pod subresource paths', () => {
  it.each([
    ['/api/v1/namespaces/default/pods/web/exec', { namespace: 'default', pod: 'web', subresource: 'exec' }],
    ['/api/v1/namespaces/a%2Db/pods/p/portforward/', { namespace: 'a-b', pod: 'p', subresource: 'portforward' }],
    ['/api/v1/namespaces/x/pods/p/log', { namespace: 'x', pod: 'p', subresource: 'log' }],
    ['/api/v1/namespaces/x/pods/p/status', null],
    ['/api/v1/namespaces/x/services/p/exec', null],
  ])('%s', (path, want) => {
    expect(parsePodSubresourcePath(path)).toEqual(want);
  });
});

describe('kubelet endpoint of a node', () => {
  const node = (addresses: { type: string; address: string }[], port?: number): V1Node => ({
    status: { addresses, ...(port ? { daemonEndpoints: { kubeletEndpoint: { Port: port } } } : {}) },
  });
  it.each([
    [node([{ type: 'InternalIP', address: '198.18.0.5' }], 10250), { host: '198.18.0.5', port: 10250 }],
    [node([{ type: 'InternalIP', address: '198.18.0.5' }, { type: 'Hostname', address: 'vk' }], 10250), { host: 'vk', port: 10250 }],
    [node([{ type: 'ExternalIP', address: '198.18.0.9' }], 1), { host: '198.18.0.9', port: 1 }],
    [node([{ type: 'InternalIP', address: '198.18.0.5' }]), null],
    [node([], 10250), null],
  ])('%#', (n, want) => {
    expect(kubeletEndpoint(n)).toEqual(want);
  });
});

describe('container resolution', () => {
  const pod = (annotation?: string): V1Pod => ({
    metadata: { name: 'p', ...(annotation ? { annotations: { 'kubectl.kubernetes.io/default-container': annotation } } : {}) },
    spec: { containers: [{ name: 'a' }, { name: 'b' }], initContainers: [{ name: 'init' }] },
  });
  it.each([
    [pod(), null, { container: 'a' }],
    [pod('b'), null, { container: 'b' }],
    [pod('gone'), null, { container: 'a' }],
    [pod(), 'init', { container: 'init' }],
    [pod(), 'x', { error: 'container x is not valid for pod p' }],
    [{ metadata: { name: 'e' }, spec: { containers: [] } } as V1Pod, null, { error: 'pod e has no containers' }],
  ])('%#', (p, requested, want) => {
    expect(resolveContainer(p, requested)).toEqual(want);
  });
});

describe('kubelet request shape', () => {
  it('maps subresources to kubelet paths and verbs', () => {
    expect(kubeletPath('exec', 'n s', 'p', 'c')).toBe('/exec/n%20s/p/c');
    expect(kubeletPath('attach', 'n', 'p', 'c')).toBe('/attach/n/p/c');
    expect(kubeletPath('log', 'n', 'p', 'c')).toBe('/containerLogs/n/p/c');
    expect(kubeletPath('portforward', 'n', 'p', '')).toBe('/portForward/n/p');
    expect(authorizationVerb('log')).toBe('get');
    expect(authorizationVerb('exec')).toBe('create');
    expect(authorizationVerb('portforward')).toBe('create');
  });

  it('passes only the log options the kubelet knows', () => {
    const q = new URLSearchParams('follow=true&container=c&tailLines=3&pretty=1&sinceSeconds=5&limitBytes=9&timestamps=true&previous=true');
    expect(Object.fromEntries(kubeletLogQuery(q))).toEqual({ follow: 'true', tailLines: '3', sinceSeconds: '5', limitBytes: '9', timestamps: 'true', previous: 'true' });
  });
});

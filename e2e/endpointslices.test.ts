// The EndpointSlice controller against the local API server, observed with kubectl 1.33.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { V1EndpointSlice } from '@kubernetes/client-node';
import { createLogger } from '../src/log/logger.ts';
import { startEndpointSliceController } from '../src/local/endpointslices/controller.ts';
import { startApiServerInProcess, type InProcessApiServer } from './support/api-server-in-process.ts';
import { waitFor } from './support/poll.ts';

const MANIFEST = `
apiVersion: v1
kind: Node
metadata: {name: n1}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: web}]
${['a', 'b', 'c']
  .map(
    (n) => `---
apiVersion: v1
kind: Pod
metadata: {name: web-${n}, labels: {app: web}}
spec:
  nodeName: n1
  containers: [{name: app, image: nginx, ports: [{name: web, containerPort: 8080}]}]`,
  )
  .join('\n')}
`;

let api: InProcessApiServer;
let controller: { stop(): Promise<void> };

const status = (ip: string, ready: boolean) =>
  JSON.stringify({ status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } });

async function slices(service: string): Promise<V1EndpointSlice[]> {
  const out = await api.kubectl.ok(['get', 'endpointslices', '-l', `kubernetes.io/service-name=${service}`, '-o', 'json']);
  return (JSON.parse(out) as { items: V1EndpointSlice[] }).items;
}

/** "<ip>:<ready>" of every endpoint, sorted. */
async function endpoints(service: string): Promise<string[]> {
  return (await slices(service)).flatMap((s) => (s.endpoints ?? []).map((e) => `${e.addresses[0]}:${e.conditions?.ready}`)).sort();
}

function expectEndpoints(service: string, want: string[]): Promise<void> {
  return expect.poll(() => endpoints(service), { timeout: 15_000, message: `endpoints of ${service}` }).toEqual(want);
}

beforeAll(async () => {
  api = await startApiServerInProcess();
  controller = await startEndpointSliceController(api.kubeconfig, createLogger('warn', 'endpointslices-e2e'));
  await api.kubectl.ok(['apply', '-f', '-'], { stdin: MANIFEST });
});

afterAll(async () => {
  await controller?.stop();
  await api?.stop();
});

describe('EndpointSlice controller', () => {
  it('keeps a placeholder slice while no pod has an IP, then lists pods as they get IPs', async () => {
    await expect.poll(async () => (await slices('web')).length, { timeout: 15_000, message: 'placeholder slice' }).toBe(1);
    await api.kubectl.ok(['patch', 'pod', 'web-a', '--subresource=status', '--type=merge', '-p', status('198.18.16.10', true)]);
    await api.kubectl.ok(['patch', 'pod', 'web-b', '--subresource=status', '--type=merge', '-p', status('198.18.16.11', false)]);
    await expectEndpoints('web', ['198.18.16.10:true', '198.18.16.11:false']);
    const [slice, ...rest] = await slices('web');
    expect(rest).toEqual([]);
    expect(slice!.metadata?.name).toMatch(/^web-/);
    expect(slice!.metadata?.labels).toMatchObject({ 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
    expect(slice!.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Service', name: 'web', controller: true });
    expect(slice!.addressType).toBe('IPv4');
    expect(slice!.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const a = slice!.endpoints!.find((e) => e.addresses[0] === '198.18.16.10')!;
    expect(a).toMatchObject({ nodeName: 'n1', targetRef: { kind: 'Pod', name: 'web-a', namespace: 'default' }, conditions: { ready: true, serving: true, terminating: false } });
  });

  it('reflects readiness flips in place, and writes nothing when nothing changed', async () => {
    const before = (await slices('web'))[0]!.metadata!.name;
    await api.kubectl.ok(['patch', 'pod', 'web-a', '--subresource=status', '--type=merge', '-p', status('198.18.16.10', false)]);
    await api.kubectl.ok(['patch', 'pod', 'web-b', '--subresource=status', '--type=merge', '-p', status('198.18.16.11', true)]);
    await expectEndpoints('web', ['198.18.16.10:false', '198.18.16.11:true']);
    const [slice] = await slices('web');
    expect(slice!.metadata!.name).toBe(before);
    // An unrelated change to a pod (an annotation) must not rewrite the slice. The readiness
    // flip after it must, and the controller sees both in that order (one watch): so once the
    // flip shows, every slice write since the annotation is counted, and there is one.
    const written: string[] = [];
    const watch = api.server.store.watch('endpointslices', { namespace: 'default', resourceVersion: slice!.metadata!.resourceVersion! }, (ev) => written.push(ev.type), () => undefined);
    try {
      await api.kubectl.ok(['annotate', 'pod', 'web-a', 'note=unrelated']);
      await api.kubectl.ok(['patch', 'pod', 'web-a', '--subresource=status', '--type=merge', '-p', status('198.18.16.10', true)]);
      await expectEndpoints('web', ['198.18.16.10:true', '198.18.16.11:true']);
      expect(written).toEqual(['MODIFIED']);
    } finally {
      watch.stop();
    }
    await api.kubectl.ok(['patch', 'pod', 'web-a', '--subresource=status', '--type=merge', '-p', status('198.18.16.10', false)]);
    await expectEndpoints('web', ['198.18.16.10:false', '198.18.16.11:true']);
  });

  it('drops pods that stop matching the selector and adds ones that start', async () => {
    await api.kubectl.ok(['patch', 'pod', 'web-c', '--subresource=status', '--type=merge', '-p', status('198.18.16.12', true)]);
    await expectEndpoints('web', ['198.18.16.10:false', '198.18.16.11:true', '198.18.16.12:true']);
    await api.kubectl.ok(['label', 'pod', 'web-c', 'app=other', '--overwrite']);
    await expectEndpoints('web', ['198.18.16.10:false', '198.18.16.11:true']);
  });

  it('marks a terminating pod not ready but still serving', async () => {
    await api.kubectl.ok(['delete', 'pod', 'web-b', '--grace-period=60', '--wait=false']);
    const endpoint = await waitFor('web-b terminating', async () => {
      const e = (await slices('web')).flatMap((s) => s.endpoints ?? []).find((x) => x.targetRef?.name === 'web-b');
      return e?.conditions?.terminating ? e : undefined;
    });
    expect(endpoint.conditions).toEqual({ ready: false, serving: true, terminating: true });
  });

  it('deletes the slices when the Service goes', async () => {
    await api.kubectl.ok(['delete', 'service', 'web']);
    await expect.poll(async () => (await slices('web')).length, { timeout: 15_000, message: 'slices gone' }).toBe(0);
  });
});

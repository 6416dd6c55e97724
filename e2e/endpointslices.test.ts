// The EndpointSlice controller against the local API server, observed with kubectl 1.33.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { V1EndpointSlice } from '@kubernetes/client-node';
import { createLogger } from '../src/log/logger.ts';
import { startEndpointSliceController } from '../src/local/endpointslices/controller.ts';
import { eventually, startApiServerInProcess, type InProcessApiServer } from './support/api-server-in-process.ts';

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
  const out = await api.ok(['get', 'endpointslices', '-l', `kubernetes.io/service-name=${service}`, '-o', 'json']);
  return (JSON.parse(out) as { items: V1EndpointSlice[] }).items;
}

/** "<ip>:<ready>" of every endpoint, sorted. */
async function endpoints(service: string): Promise<string[]> {
  return (await slices(service)).flatMap((s) => (s.endpoints ?? []).map((e) => `${e.addresses[0]}:${e.conditions?.ready}`)).sort();
}

async function until(service: string, want: string[]): Promise<void> {
  await eventually(`endpoints ${want.join(',')}`, async () => {
    const got = await endpoints(service);
    return JSON.stringify(got) === JSON.stringify(want) ? true : undefined;
  });
}

beforeAll(async () => {
  api = await startApiServerInProcess();
  controller = await startEndpointSliceController(api.kubeconfig, createLogger('warn', 'endpointslices-e2e'));
  await api.ok(['apply', '-f', '-'], MANIFEST);
});

afterAll(async () => {
  await controller?.stop();
  await api?.stop();
});

describe('EndpointSlice controller', () => {
  it('keeps a placeholder slice while no pod has an IP, then lists pods as they get IPs', async () => {
    await eventually('placeholder slice', async () => ((await slices('web')).length === 1 ? true : undefined));
    await api.ok(['patch', 'pod', 'web-a', '--subresource=status', '--type=merge', '-p', status('198.18.16.10', true)]);
    await api.ok(['patch', 'pod', 'web-b', '--subresource=status', '--type=merge', '-p', status('198.18.16.11', false)]);
    await until('web', ['198.18.16.10:true', '198.18.16.11:false']);
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
    await api.ok(['patch', 'pod', 'web-a', '--subresource=status', '--type=merge', '-p', status('198.18.16.10', false)]);
    await api.ok(['patch', 'pod', 'web-b', '--subresource=status', '--type=merge', '-p', status('198.18.16.11', true)]);
    await until('web', ['198.18.16.10:false', '198.18.16.11:true']);
    const [slice] = await slices('web');
    expect(slice!.metadata!.name).toBe(before);
    // An unrelated change to a pod (an annotation) must not rewrite the slice.
    const rv = slice!.metadata!.resourceVersion;
    await api.ok(['annotate', 'pod', 'web-a', 'note=unrelated']);
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await slices('web'))[0]!.metadata!.resourceVersion).toBe(rv);
  });

  it('drops pods that stop matching the selector and adds ones that start', async () => {
    await api.ok(['patch', 'pod', 'web-c', '--subresource=status', '--type=merge', '-p', status('198.18.16.12', true)]);
    await until('web', ['198.18.16.10:false', '198.18.16.11:true', '198.18.16.12:true']);
    await api.ok(['label', 'pod', 'web-c', 'app=other', '--overwrite']);
    await until('web', ['198.18.16.10:false', '198.18.16.11:true']);
  });

  it('marks a terminating pod not ready but still serving', async () => {
    await api.ok(['delete', 'pod', 'web-b', '--grace-period=60', '--wait=false']);
    const endpoint = await eventually('web-b terminating', async () => {
      const e = (await slices('web')).flatMap((s) => s.endpoints ?? []).find((x) => x.targetRef?.name === 'web-b');
      return e?.conditions?.terminating ? e : undefined;
    });
    expect(endpoint.conditions).toEqual({ ready: false, serving: true, terminating: true });
  });

  it('deletes the slices when the Service goes', async () => {
    await api.ok(['delete', 'service', 'web']);
    await eventually('slices gone', async () => ((await slices('web')).length === 0 ? true : undefined));
  });
});

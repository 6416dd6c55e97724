// The provider asks for a cordon (a zone that failed its health check): the node controller sets
// spec.unschedulable, marked as burstlet's, and lifts only its own.
import { describe, expect, it } from 'vitest';
import type { KubeClient } from '../../../src/kube/client.ts';
import type { Node } from '../../../src/kube/wire.ts';
import { NodeController, type NodeControllerOptions } from '../../../src/provider/node/controller.ts';
import { CORDONED_BY_ANNOTATION, type NodeResources } from '../../../src/provider/node/node-object.ts';
import { createLogger } from '../../../src/log/logger.ts';

type Patch = { metadata?: { annotations?: Record<string, string | null> }; spec?: { unschedulable?: boolean | null }; status?: unknown };

/** One Node, merge-patched as the API server would. */
function nodeApi(initial: Node) {
  let node: Node = structuredClone(initial);
  const patches: Patch[] = [];
  const request = (async (method: string, path: string, opts?: { body?: Patch }) => {
    if (method === 'POST' && path === '/api/v1/nodes') return node;
    if (method !== 'PATCH') throw new Error(`unexpected ${method} ${path}`);
    const body = opts!.body!;
    if (path.endsWith('/status')) {
      node = { ...node, status: body.status as Node['status'] };
      return node;
    }
    patches.push(body);
    const annotations = { ...node.metadata?.annotations };
    for (const [k, v] of Object.entries(body.metadata?.annotations ?? {})) if (v === null) delete annotations[k]; else annotations[k] = v;
    const spec = { ...node.spec };
    if (body.spec && 'unschedulable' in body.spec) {
      if (body.spec.unschedulable === null) delete spec.unschedulable; else spec.unschedulable = body.spec.unschedulable!;
    }
    node = { ...node, metadata: { ...node.metadata, annotations }, spec };
    return node;
  }) as KubeClient['request'];
  return { request, patches, node: () => node };
}

function controller(api: ReturnType<typeof nodeApi>, room: { value: NodeResources }): NodeController {
  return new NodeController({
    kube: { request: api.request },
    provider: { resources: async () => room.value },
    config: { name: 'vk', labels: {}, taints: [], zone: 'az1', nodeIP: '127.0.0.1', hostname: '', kubeletPort: 10250, backend: { name: 'CCI', provider: 'cci', osImage: '', containerRuntimeVersion: '' } } as NodeControllerOptions['config'],
    updateMs: 1000, reportMs: 60_000, leaseRenewMs: 10_000, leaseDurationSeconds: 40,
    log: createLogger('silent', 'test'),
  });
}

const open: NodeResources = { capacity: { pods: '10' }, allocatable: { pods: '10' } };
const failed: NodeResources = { ...open, cordon: { reason: 'ZoneUnavailable', message: 'Network a is Unavailable' } };

describe('cordon asked by the provider', () => {
  it('cordons while asked and lifts its own cordon once the provider stops asking', async () => {
    const api = nodeApi({ metadata: { name: 'vk' }, spec: {} });
    const room = { value: failed };
    const c = controller(api, room);
    await c.updateStatus();
    expect(api.node().spec?.unschedulable).toBe(true);
    expect(api.node().metadata?.annotations?.[CORDONED_BY_ANNOTATION]).toBe('ZoneUnavailable');
    await c.updateStatus();
    expect(api.patches).toHaveLength(1); // nothing to change the second time
    room.value = open;
    await c.updateStatus();
    expect(api.node().spec?.unschedulable).toBeUndefined();
    expect(api.node().metadata?.annotations?.[CORDONED_BY_ANNOTATION]).toBeUndefined();
  });

  it('never lifts an operator\'s cordon (no burstlet mark)', async () => {
    const api = nodeApi({ metadata: { name: 'vk' }, spec: { unschedulable: true } });
    await controller(api, { value: open }).updateStatus();
    expect(api.patches).toEqual([]);
    expect(api.node().spec?.unschedulable).toBe(true);
  });
});

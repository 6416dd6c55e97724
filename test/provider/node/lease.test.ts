// The node's Lease renewal against an API whose Lease another writer changes in between.
import { describe, expect, it } from 'vitest';
import { KubeError, type KubeClient } from '../../../src/kube/client.ts';
import { NodeController, type NodeControllerOptions } from '../../../src/provider/node/controller.ts';
import { createLogger } from '../../../src/log/logger.ts';

const PATH = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/vk';

/** An API holding one Lease whose resourceVersion another writer bumps `conflicts` times just before our PUTs. */
function leaseApi(conflicts: number) {
  let rv = 1;
  const calls: string[] = [];
  const request = (async (method: string, path: string, opts?: { body?: { metadata?: { resourceVersion?: string } } }) => {
    calls.push(`${method} ${path === PATH ? 'lease' : path}`);
    if (path !== PATH) throw new Error(`unexpected ${method} ${path}`);
    const lease = () => ({ metadata: { name: 'vk', namespace: 'kube-node-lease', resourceVersion: String(rv) }, spec: { holderIdentity: 'vk', leaseDurationSeconds: 40 } });
    if (method === 'GET') return lease();
    if (conflicts > 0) {
      conflicts--;
      rv++; // the other writer
    }
    if (opts?.body?.metadata?.resourceVersion !== String(rv)) throw new KubeError(409, 'Conflict', 'Operation cannot be fulfilled on leases.coordination.k8s.io "vk": the object has been modified');
    rv++;
    return lease();
  }) as KubeClient['request'];
  return { request, calls };
}

function controller(api: ReturnType<typeof leaseApi>): NodeController {
  return new NodeController({
    kube: { request: api.request },
    provider: { resources: async () => { throw new Error('not asked'); } },
    config: { name: 'vk' } as NodeControllerOptions['config'],
    updateMs: 1000, reportMs: 60_000, leaseRenewMs: 10_000, leaseDurationSeconds: 40,
    log: createLogger('silent', 'test'),
  });
}

describe('node Lease renewal', () => {
  it('a renewal that lost to another writer reads the Lease again and retries (a restarted node exited with 409 before)', async () => {
    const api = leaseApi(2);
    await controller(api).renewLease();
    expect(api.calls).toEqual(['GET lease', 'PUT lease', 'GET lease', 'PUT lease', 'GET lease', 'PUT lease']);
  });

  it('gives up after 5 lost writes, as the kubelet, leaving the next tick to try', async () => {
    const api = leaseApi(100);
    await expect(controller(api).renewLease()).rejects.toMatchObject({ status: 409 });
    expect(api.calls.filter((c) => c.startsWith('PUT'))).toHaveLength(5);
  });
});

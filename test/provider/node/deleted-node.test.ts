// The Node object deleted under a running node (`kubectl delete node`): the garbage collector takes
// its Lease; the next renewal's PUT, carrying the old Lease's uid, is refused (409, as
// kube-apiserver answers, seen with the real one) and a read finds no Lease. The node then writes
// its status, which registers the Node again, and creates a Lease owned by the new object, without
// waiting for the next status report.
import { describe, expect, it } from 'vitest';
import { KubeError, type KubeClient } from '../../../src/kube/client.ts';
import type { Node } from '../../../src/kube/wire.ts';
import { NodeController, type NodeControllerOptions } from '../../../src/provider/node/controller.ts';
import { createLogger } from '../../../src/log/logger.ts';

const NODE = '/api/v1/nodes/vk';
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';
const LEASE = `${LEASES}/vk`;

interface Lease { metadata: { name: string; uid?: string; ownerReferences?: { uid: string }[] }; spec?: unknown }

/** One Node and its Lease, as kube-apiserver and its garbage collector keep them. */
function clusterApi() {
  let node: Node | undefined;
  let lease: Lease | undefined;
  let uids = 0;
  const calls: string[] = [];
  const request = (async (method: string, path: string, opts?: { body?: unknown }) => {
    calls.push(`${method} ${path}`);
    if (method === 'POST' && path === '/api/v1/nodes') return (node = { ...(opts!.body as Node), metadata: { name: 'vk', uid: `node-${++uids}` } });
    if (path === NODE || path === `${NODE}/status`) {
      if (!node) throw new KubeError(404, 'NotFound', 'nodes "vk" not found');
      if (method === 'PATCH') node = { ...node, status: (opts!.body as Node).status };
      return node;
    }
    if (method === 'POST' && path === LEASES) return (lease = { ...(opts!.body as Lease), metadata: { ...(opts!.body as Lease).metadata, uid: `lease-${++uids}` } });
    if (path === LEASE) {
      const body = opts?.body as Lease | undefined;
      if (method === 'PUT' && lease?.metadata.uid !== body?.metadata.uid) {
        throw new KubeError(409, 'Conflict', 'Operation cannot be fulfilled on leases.coordination.k8s.io "vk": StorageError: invalid object, Code: 4, Err: Precondition failed: UID in precondition');
      }
      if (!lease) throw new KubeError(404, 'NotFound', 'leases.coordination.k8s.io "vk" not found');
      if (method === 'PUT') lease = body!;
      return lease;
    }
    throw new Error(`unexpected ${method} ${path}`);
  }) as KubeClient['request'];
  return {
    request,
    calls,
    node: () => node,
    lease: () => lease,
    /** `kubectl delete node vk`, then the garbage collector. */
    deleteNode() {
      node = undefined;
      lease = undefined;
    },
  };
}

describe('a Node object deleted while the node runs', () => {
  it('the next lease renewal registers it again, with its status and a Lease of the new object', async () => {
    const api = clusterApi();
    const c = new NodeController({
      kube: { request: api.request },
      provider: { resources: async () => ({ capacity: { pods: '10' }, allocatable: { pods: '10' } }) },
      config: { name: 'vk', labels: {}, taints: [], zone: 'az1', nodeIP: '127.0.0.1', hostname: '', kubeletPort: 10250, backend: { name: 'CCI', provider: 'cci', osImage: '', containerRuntimeVersion: '' } } as NodeControllerOptions['config'],
      // No status report due for an hour: the renewal alone must notice.
      updateMs: 3_600_000, reportMs: 3_600_000, leaseRenewMs: 10_000, leaseDurationSeconds: 40,
      log: createLogger('silent', 'test'),
    });
    await c.start();
    c.stop();
    const first = api.node()!.metadata!.uid;
    expect(api.lease()?.metadata.ownerReferences?.[0]?.uid).toBe(first);
    // The first start wrote its status once: a Lease created then is no sign of a deleted Node.
    expect(api.calls.filter((x) => x === `PATCH ${NODE}/status`)).toHaveLength(1);

    api.deleteNode();
    api.calls.length = 0;
    await c.renewLease();
    const second = api.node()?.metadata?.uid;
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    expect(api.node()?.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('True');
    expect(api.lease()?.metadata.ownerReferences?.[0]?.uid).toBe(second);
    // The refused PUT; no Lease; the status write finds no Node (404), registers it, writes again; a new Lease.
    expect(api.calls).toEqual([`PUT ${LEASE}`, `GET ${LEASE}`, `PATCH ${NODE}/status`, 'POST /api/v1/nodes', `PATCH ${NODE}/status`, `POST ${LEASES}`]);
  });
});

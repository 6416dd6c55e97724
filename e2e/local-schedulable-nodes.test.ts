// `burstlet local` prints its ready line only once its nodes are schedulable
// (src/local/schedulable-nodes.ts): the wait against an API server, as a process would run it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForSchedulableNodes } from '../src/local/schedulable-nodes.ts';
import { startApiServerInProcess, type InProcessApiServer } from './support/api-server-in-process.ts';

describe('waiting for the local nodes to be schedulable', () => {
  let api: InProcessApiServer;
  async function ok(args: string[], stdin?: string): Promise<string> {
    const r = await api.kubectl.run(args, stdin === undefined ? {} : { stdin });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  }

  beforeAll(async () => {
    api = await startApiServerInProcess();
    // As kube-apiserver's TaintNodesByCondition admission leaves a new Node: Ready, still tainted.
    await ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] } }));
    await ok(['patch', 'node', 'n1', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { conditions: [{ type: 'Ready', status: 'True' }] } })]);
  });

  afterAll(async () => {
    await api?.stop();
  });

  it('gives up after its timeout naming each node that is not schedulable, and why', async () => {
    await expect(waitForSchedulableNodes(api.kubeconfig, ['n1', 'n2'], { timeoutMs: 300 })).rejects.toThrow(
      /nodes not schedulable after 0 s: n1 tainted node\.kubernetes\.io\/not-ready:NoSchedule; n2 not registered/,
    );
  });

  it('returns once the taint is gone', async () => {
    // (The test before shows it does not return while the taint is there.)
    const waiting = waitForSchedulableNodes(api.kubeconfig, ['n1'], { timeoutMs: 30_000, intervalMs: 50 });
    await ok(['patch', 'node', 'n1', '--type=json', '-p', JSON.stringify([{ op: 'remove', path: '/spec/taints' }])]);
    await expect(waiting).resolves.toBeUndefined();
  });
});

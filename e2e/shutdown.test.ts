// `burstlet node` stops within its grace period on SIGTERM whatever is open (issue #12 item
// 10): with a `kubectl logs -f` following a pod it never finished (the kubelet server's close
// waited for the stream) and was SIGKILLed, its controllers still running.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomSubnet, startBurstNode, startMockCci, type BurstNode, type MockCci } from './support/burst-node.ts';
import { startLocalCluster, type LocalCluster } from './support/local-cluster.ts';
import { pollUntil } from './support/poll.ts';

const NODE = 'burst-shutdown';
let cluster: LocalCluster;
let cci: MockCci;
let node: BurstNode;

beforeAll(async () => {
  cluster = await startLocalCluster();
  cci = await startMockCci({ subnet: randomSubnet() });
  node = await startBurstNode({ kubeconfig: cluster.kubeconfig, cci, name: NODE, clientCaFile: join(cluster.stateDir, 'ca.pem') });
});

afterAll(async () => {
  await node?.stop(1_000);
  await cci?.stop();
  await cluster?.stop();
});

describe('burstlet node on SIGTERM', () => {
  it('exits 0 within the grace period while kubectl logs -f and exec sessions are open', async () => {
    const pod = {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ticker' },
      spec: {
        nodeName: NODE, tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists' }],
        containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'while true; do echo tick; sleep 0.2; done'] }],
      },
    };
    const created = await cluster.kubectl.run(['apply', '-f', '-'], { stdin: JSON.stringify(pod) });
    expect(created.code).toBe(0);
    await pollUntil('ticker Running', () => cluster.kubectl.run(['get', 'pod', 'ticker', '-o', 'jsonpath={.status.phase}']), (r) => r.stdout === 'Running', { timeoutMs: 30_000 });
    const follow = cluster.kubectl.spawn(['logs', '-f', 'ticker']);
    const exec = cluster.kubectl.spawn(['exec', '-i', 'ticker', '--', 'cat']);
    await new Promise((resolve) => follow.stdout!.once('data', resolve));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => node.child.once('exit', (code, signal) => resolve({ code, signal })));
    // Past 20 s the helper SIGKILLs it: the Deployment's grace period is 30 s.
    await node.stop(20_000);
    expect(await exited).toEqual({ code: 0, signal: null });
    follow.kill();
    exec.kill();
  });
});

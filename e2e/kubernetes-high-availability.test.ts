// `burstlet node --leader-elect` as two replicas on the real control plane, with the manifests'
// RBAC (the burstlet ServiceAccount): the leader is killed (SIGKILL) in the middle of a 200-pod
// burst; the standby takes the Lease within 15 s, registers as the node's kubelet (the API server
// now reaches its kubelet port), and all 200 pods run, each with exactly one CCI pod. Both
// replicas serve the burst policy's webhook throughout.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubernetesMissing, kubernetesTitle, startKubernetesCluster, type KubernetesCluster } from './support/kubernetes-cluster.ts';
import { counterSum, startBurstNode, startMockCci, type BurstNode, type MockCci } from './support/burst-node.ts';
import { waitFor } from './support/poll.ts';
import { serviceAccountKubeconfigPath } from '../src/local/kubernetes/operator-identity.ts';
import { freePort } from '../src/local/free-port.ts';
import { Agent, request } from 'undici';

const insecure = new Agent({ connect: { rejectUnauthorized: false } });

// The Lease name manifests/role-leader-election.yaml grants: burstlet-node-<nodename>.
const NODE = 'burst-cci';
const LEASE = `burstlet-node-${NODE}`;
const PODS = 200;
const cciSubnet = `198.18.${64 + 4 * Math.floor(Math.random() * 40)}.0/22`;

describe.skipIf(kubernetesMissing)(kubernetesTitle('two burstlet replicas with leader election, on the real control plane'), () => {
  let cluster: KubernetesCluster;
  let cci: MockCci;
  const replicas: BurstNode[] = [];
  const webhookPorts: number[] = [];
  /** The replica's admission webhook answering (every replica serves it, the standby too). */
  const webhookServes = async (r: BurstNode): Promise<number> => {
    const res = await request(`https://127.0.0.1:${webhookPorts[replicas.indexOf(r)]}/healthz`, { dispatcher: insecure });
    await res.body.dump();
    return res.statusCode;
  };

  const leaseSpec = async (): Promise<{ holderIdentity?: string; acquireTime?: string; leaseTransitions?: number }> =>
    JSON.parse(await cluster.kubectl.ok(['-n', 'kube-system', 'get', 'lease', LEASE, '-o', 'jsonpath={.spec}'])) as { holderIdentity?: string };
  const isLeader = async (r: BurstNode): Promise<boolean> => counterSum(await r.metrics(), 'burstlet_node_leader') === 1;

  beforeAll(async () => {
    cluster = await startKubernetesCluster();
    cci = await startMockCci({ subnet: cciSubnet });
    // The local environment's serving certificate for loopback (IP SAN 127.0.0.1): what kube-apiserver verifies.
    const pki = join(cluster.stateDir, 'kubernetes', 'pki');
    for (let i = 0; i < 2; i++) {
      webhookPorts.push(await freePort());
      replicas.push(await startBurstNode({
        kubeconfig: serviceAccountKubeconfigPath(cluster.stateDir), cci, name: NODE, clientCaFile: join(cluster.stateDir, 'ca.pem'),
        args: [
          '--leader-elect', `--tls-cert-file=${join(pki, 'kubelet-burstlet-cci.pem')}`, `--tls-private-key-file=${join(pki, 'kubelet-burstlet-cci-key.pem')}`,
          '--authentication-token-webhook', '--cluster-dns=198.19.0.10', '--cluster-id=ha-e2e',
          `--webhook-port=${webhookPorts[i]}`, '--webhook-hosts=127.0.0.1',
        ],
      }));
    }
  }, 300_000);

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await cci?.stop();
    await cluster?.stop();
    await insecure.close();
  });

  it(`kill the leader during a ${PODS}-pod burst: the standby takes over within 15 s, all ${PODS} run, no CCI pod twice`, async () => {
    const k = cluster.kubectl;
    const leader = await waitFor('one replica leading', async () => {
      const leading = [];
      for (const r of replicas) if (await isLeader(r)) leading.push(r);
      return leading.length === 1 ? leading[0] : undefined;
    }, { timeoutMs: 30_000 });
    const standby = replicas.find((r) => r !== leader)!;
    expect(await webhookServes(standby)).toBe(200);
    expect(await webhookServes(leader)).toBe(200);
    await waitFor(`${NODE} Ready`, async () => ((await k.ok(['get', 'node', NODE, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])) === 'True' ? true : undefined), { timeoutMs: 60_000 });
    const leaderPort = await k.ok(['get', 'node', NODE, '-o', 'jsonpath={.status.daemonEndpoints.kubeletEndpoint.Port}']);

    await k.create({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ha' },
      spec: {
        replicas: PODS, selector: { matchLabels: { app: 'ha' } },
        template: {
          metadata: { labels: { app: 'ha' } },
          spec: {
            nodeSelector: { 'kubernetes.io/hostname': NODE },
            tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
            terminationGracePeriodSeconds: 1,
            containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo started $HOSTNAME; exec sleep 3600'] }],
          },
        },
      },
    });
    const running = async (): Promise<number> =>
      (await k.ok(['get', 'pods', '-l', 'app=ha', '-o', 'jsonpath={range .items[*]}{.status.phase}{"\\n"}{end}'])).split('\n').filter((p) => p === 'Running').length;
    // Mid-burst: some pods run, the rest are still being created.
    const before = await waitFor('the burst under way', async () => {
      const n = await running();
      return n >= 20 ? n : undefined;
    }, { timeoutMs: 120_000, intervalMs: 100 });
    const killedAt = Date.now();
    leader.child.kill('SIGKILL');

    const lease = await waitFor('the standby holding the Lease', async () => (await isLeader(standby) ? leaseSpec() : undefined), { timeoutMs: 30_000 });
    const handoverMs = Date.parse(lease.acquireTime!) - killedAt;
    console.log(`leader killed with ${before}/${PODS} pods Running; the standby took the Lease ${(handoverMs / 1000).toFixed(1)} s later (lease duration 10 s, retry 2 s)`);
    expect(lease.leaseTransitions).toBe(1);
    expect(await webhookServes(standby)).toBe(200);
    expect(handoverMs).toBeLessThan(15_000);

    // The node now points at the new leader's kubelet port, and its heartbeat goes on.
    const port = await waitFor('the node advertising the new kubelet port', async () => {
      const p = await k.ok(['get', 'node', NODE, '-o', 'jsonpath={.status.daemonEndpoints.kubeletEndpoint.Port}']);
      return p !== leaderPort ? p : undefined;
    }, { timeoutMs: 30_000 });
    expect(port).not.toBe(leaderPort);
    const renewed = Date.parse(await k.ok(['-n', 'kube-node-lease', 'get', 'lease', NODE, '-o', 'jsonpath={.spec.renewTime}']));
    expect(renewed).toBeGreaterThan(killedAt);

    await waitFor(`all ${PODS} pods Running`, async () => ((await running()) === PODS ? true : undefined), { timeoutMs: 240_000, intervalMs: 1000 });
    const ours = (await cci.pods()).filter((p) => !p.metadata.deletionTimestamp && p.metadata.annotations?.['burstlet.io/pod']?.startsWith('default/ha-'));
    const owners = ours.map((p) => p.metadata.annotations!['burstlet.io/pod']!);
    expect(new Set(owners).size).toBe(PODS);
    expect(ours).toHaveLength(PODS);

    // kubectl logs goes through kube-apiserver to the new leader's kubelet API.
    const name = (await k.ok(['get', 'pods', '-l', 'app=ha', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
    expect(await k.ok(['logs', name])).toContain(`started ${name}`);
  }, 600_000);
});

// A virtual node's room is bounded by its CCI subnet's free IPs (issue #16): with 10 IPs free,
// kube-scheduler's count stops at 10 and the 11th pod stays Pending with FailedScheduling — never
// accepted by the node and then refused by CCI — and the node says, in a condition and a Warning
// event, that the subnet has fewer free IPs than twice its pods. A subnet inside the cluster's own
// Service range is refused at start-up.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cciPod } from './support/pods.ts';
import { startBurstNode, startMockCci, type BurstNode, type MockCci } from './support/burst-node.ts';
import { waitFor } from './support/poll.ts';
import { startLocalCluster, type LocalCluster } from './support/local-cluster.ts';
import { CciClient } from '../src/cci/client.ts';
import { freePort } from '../src/local/free-port.ts';

const NODE = 'burst-subnet';
const MAIN = resolve(import.meta.dirname, '../src/cli/main.ts');
const cciSubnet = `198.18.${16 * (2 + Math.floor(Math.random() * 13))}.${16 * Math.floor(Math.random() * 16)}/28`;

describe('a CCI subnet with 10 free IPs', () => {
  let cluster: LocalCluster;
  let cci: MockCci;
  let node: BurstNode;

  beforeAll(async () => {
    cluster = await startLocalCluster();
    // A /28 holds 13 pod IPs; three pods of someone else's leave 10.
    cci = await startMockCci({ subnet: cciSubnet });
    const other = new CciClient({ endpoint: cci.url, token: cci.token, namespace: cci.namespace });
    try {
      for (const name of ['other-1', 'other-2', 'other-3']) {
        // Not burstlet's pods: no annotations tying them to a Kubernetes pod.
        const pod = cciPod(name, [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }]);
        await other.createPod({ ...pod, metadata: { name } });
      }
    } finally {
      await other.close();
    }
    node = await startBurstNode({ kubeconfig: cluster.kubeconfig, cci, name: NODE, args: ['--cluster-dns=198.19.0.10', '--node-status-update-frequency=1s'] });
  }, 60_000);

  afterAll(async () => {
    await node?.stop();
    await cci?.stop();
    await cluster?.stop();
  });

  it('offers 10 pods; an 11-replica Deployment runs 10 and the 11th waits with FailedScheduling', async () => {
    const k = cluster.kubectl;
    await waitFor('the node offering 10 pods', async () => ((await k.ok(['get', 'node', NODE, '-o', 'jsonpath={.status.allocatable.pods}'])) === '10' ? true : undefined), { timeoutMs: 30_000 });
    await k.create({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ips' },
      spec: {
        replicas: 11, selector: { matchLabels: { app: 'ips' } },
        template: {
          metadata: { labels: { app: 'ips' } },
          spec: {
            nodeSelector: { 'kubernetes.io/hostname': NODE },
            tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
            terminationGracePeriodSeconds: 1,
            containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }],
          },
        },
      },
    });
    const phases = await waitFor('10 Running and 1 Pending', async () => {
      const out = (await k.ok(['get', 'pods', '-l', 'app=ips', '-o', 'jsonpath={range .items[*]}{.status.phase} {.spec.nodeName}{"\\n"}{end}'])).trim().split('\n');
      const running = out.filter((l) => l.startsWith('Running')).length;
      return out.length === 11 && running === 10 ? out : undefined;
    }, { timeoutMs: 60_000 });
    // The 11th was never bound to the node, so CCI never refused it.
    // (The listing is trimmed: the line of the Pending pod may have lost its trailing space.)
    expect(phases.filter((l) => l.startsWith('Pending')).map((l) => l.trim())).toEqual(['Pending']);
    const events = await k.ok(['get', 'events', '--field-selector', 'reason=FailedScheduling', '-o', 'jsonpath={.items[*].message}']);
    expect(events).toMatch(/Too many pods/);
    expect((await cci.pods()).filter((p) => p.metadata.annotations?.['burstlet.io/pod']?.startsWith('default/ips-'))).toHaveLength(10);
  });

  it('a node whose CCI subnet lies inside the cluster\'s Service range exits 2 at start-up, naming both ranges', async () => {
    const subnet = cciSubnet;
    const inside = `${subnet.split('.').slice(0, 2).join('.')}.0.0/16`;
    const port = await freePort();
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(process.execPath, [MAIN, 'node', `--nodename=${NODE}-2`, `--kubeconfig=${cluster.kubeconfig}`, `--cci-endpoint=${cci.url}`, `--cci-token-file=${cci.tokenFile}`, `--port=${port}`, '--metrics-addr=', `--service-cluster-ip-range=198.19.0.0/16,${inside}`],
        { timeout: 30_000 }, (err, _out, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr }));
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`the CCI subnet ${subnet} (Network`);
    expect(r.stderr).toContain(`overlaps --service-cluster-ip-range=${inside}`);
  });

  it('a node with --enable-networking on a CCI namespace of a shared VPC exits 2 at start-up, as CCE refuses it', async () => {
    const shared = await startMockCci({ subnet: '198.18.250.0/28', args: ['--shared-vpc'] });
    const port = await freePort();
    try {
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        execFile(process.execPath, [MAIN, 'node', `--nodename=${NODE}-3`, `--kubeconfig=${cluster.kubeconfig}`, `--cci-endpoint=${shared.url}`, `--cci-token-file=${shared.tokenFile}`, `--port=${port}`, '--metrics-addr=', '--enable-networking'],
          { timeout: 30_000 }, (err, _out, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr }));
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('the CCI subnet 198.18.250.0/28 (Network default) belongs to a shared VPC: --enable-networking is not supported there');
    } finally {
      await shared.stop();
    }
  });

  it('says the subnet runs short: the SubnetIPsLow condition and a Warning event on the node', async () => {
    const k = cluster.kubectl;
    const condition = await waitFor('SubnetIPsLow True', async () => {
      const c = await k.ok(['get', 'node', NODE, '-o', 'jsonpath={.status.conditions[?(@.type=="burstlet.io/SubnetIPsLow")].status} {.status.conditions[?(@.type=="burstlet.io/SubnetIPsLow")].message}']);
      return c.startsWith('True ') ? c : undefined;
    }, { timeoutMs: 30_000 });
    expect(condition).toMatch(/has 0 free IPs for 10 pods/);
    const warning = await waitFor('the SubnetIPsLow event', async () => {
      const e = await k.ok(['get', 'events', '--field-selector', `involvedObject.kind=Node,involvedObject.name=${NODE},reason=SubnetIPsLow`, '-o', 'jsonpath={.items[*].type}']);
      return e.includes('Warning') ? e : undefined;
    }, { timeoutMs: 30_000 });
    expect(warning).toContain('Warning');
  });
});

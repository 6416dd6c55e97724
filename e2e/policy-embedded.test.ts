// The burst policy of `burstlet node --webhook-port` on the embedded control plane: an in-process
// API server and scheduler, a real `burstlet node` process on a mock CCI, and a cluster node with
// room for 4 pods. The embedded API server calls no admission webhooks, so each pod is sent to
// the webhook as the API server would send it (AdmissionReview v1) and created as the webhook
// patched it. It serves no workload kinds and no CRDs either: Deployments, ScheduleProfiles,
// scale-in by a ReplicaSet and --rebalance are shown on real Kubernetes (policy-kubernetes.test.ts).
import { connect } from 'node:tls';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log/logger.ts';
import { startScheduler } from '../src/local/scheduler/scheduler.ts';
import { APPLIED_ANNOTATION, DELETION_COST_ANNOTATION } from '../src/policy/mutation.ts';
import { PLACEMENT_ANNOTATION } from '../src/policy/placement/decide.ts';
import { admitThroughWebhook } from './support/admission.ts';
import { startApiServerInProcess, type InProcessApiServer } from './support/api-server-in-process.ts';
import { waitFor } from './support/poll.ts';
import { counterSum, randomSubnet, startBurstNode, startMockCci, type BurstNode, type MockCci } from './support/burst-node.ts';
import { freePort } from '../src/local/free-port.ts';

const LABEL = 'bursting.cci.io/burst-to-cci';
const BURST = 'burst-policy';
const MACHINE = 'machine-1';

let api: InProcessApiServer;
let scheduler: { stop(): Promise<void> };
let cci: MockCci;
let node: BurstNode;
let webhook: string;

const pod = (name: string, labels: Record<string, string> = {}): V1Pod => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: name.replace(/-\d+$/, ''), ...labels } },
  spec: { containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'], resources: { requests: { cpu: '100m', memory: '64Mi' } } }] },
});

/** Creates the pod as an API server with burstlet's webhook would: admitted, then stored. */
async function create(p: V1Pod, namespace = 'default'): Promise<void> {
  const { object } = await admitThroughWebhook(webhook, p, namespace);
  await api.kubectl.ok(['-n', namespace, 'create', '-f', '-'], { stdin: JSON.stringify(object) });
}

async function pods(selector: string, namespace = 'default'): Promise<V1Pod[]> {
  return (JSON.parse(await api.kubectl.ok(['-n', namespace, 'get', 'pods', '-l', selector, '-o', 'json'])) as { items: V1Pod[] }).items;
}

/** The certificate a TLS server on 127.0.0.1:`port` presents (PEM). */
function servedCertificate(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(s.getPeerX509Certificate()!.toString());
      s.end();
    });
    s.once('error', reject);
  });
}

const byNode = (list: V1Pod[]) => list.reduce<Record<string, number>>((acc, p) => ({ ...acc, [p.spec?.nodeName ?? 'pending']: (acc[p.spec?.nodeName ?? 'pending'] ?? 0) + 1 }), {});

beforeAll(async () => {
  api = await startApiServerInProcess();
  scheduler = await startScheduler(api.kubeconfig, createLogger('silent', 'scheduler'));
  // An ordinary machine: room for 4 pods, no taint, not a virtual node.
  await api.kubectl.ok(['apply', '-f', '-'], { stdin: JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: MACHINE, labels: { 'kubernetes.io/hostname': MACHINE } } }) });
  await api.kubectl.ok(['patch', 'node', MACHINE, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { allocatable: { cpu: '4', memory: '8Gi', pods: '4' }, capacity: { cpu: '4', memory: '8Gi', pods: '4' }, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ok' }] } })]);
  cci = await startMockCci({ subnet: randomSubnet() });
  const port = await freePort();
  node = await startBurstNode({ kubeconfig: api.kubeconfig, cci, name: BURST, args: [`--webhook-port=${port}`, "--webhook-hosts=127.0.0.1"] });
  webhook = `https://127.0.0.1:${port}/mutate`;
  for (const ns of ['enforced', 'preferring']) await api.kubectl.ok(['create', 'namespace', ns]);
  await api.kubectl.ok(['label', 'namespace', 'enforced', `${LABEL}=enforce`]);
  await api.kubectl.ok(['label', 'namespace', 'preferring', `${LABEL}=localPrefer`]);
}, 120_000);

afterAll(async () => {
  if (process.env.POLICY_E2E_LOGS) console.log(node?.logs());
  await node?.stop();
  await cci?.stop();
  await scheduler?.stop();
  await api?.stop();
});

describe('burst policy on the embedded control plane', () => {
  it('serves a certificate of its own, kept in the Secret every replica reads', async () => {
    const secret = JSON.parse(await api.kubectl.ok(['-n', 'kube-system', 'get', 'secret', 'burstlet-webhook-tls', '-o', 'json'])) as { type: string; data: Record<string, string> };
    expect(secret.type).toBe('kubernetes.io/tls');
    const served = await servedCertificate(Number(new URL(webhook).port));
    expect(Buffer.from(secret.data['tls.crt']!, 'base64').toString()).toContain(served.trim().split('\n')[1]!);
  });

  it('leaves a pod without any policy exactly as it came', async () => {
    const r = await admitThroughWebhook(webhook, pod('plain'), 'default');
    expect(r.patch).toBeUndefined();
  });

  it('a namespace label applies to a pod without its own (read live from the API server)', async () => {
    await waitFor('the namespace label to reach the webhook', async () => {
      const r = await admitThroughWebhook(webhook, pod('probe'), 'enforced');
      const applied = r.object.metadata?.annotations?.[APPLIED_ANNOTATION];
      return applied && JSON.parse(applied).source === 'namespace' ? true : undefined;
    });
    const own = await admitThroughWebhook(webhook, pod('own', { [LABEL]: 'off' }), 'enforced');
    expect(JSON.parse(own.object.metadata!.annotations![APPLIED_ANNOTATION]!)).toMatchObject({ policy: 'off', source: 'pod' });
  });

  it('localPrefer: 10 pods at once on a cluster node with room for 4 → 4 local, 6 burst', async () => {
    await Promise.all(Array.from({ length: 10 }, (_, i) => create(pod(`lp-${i}`, { [LABEL]: 'localPrefer' }))));
    const placed = await waitFor('all 10 pods bound', async () => {
      const list = await pods('app=lp');
      return list.length === 10 && list.every((p) => p.spec?.nodeName) ? list : undefined;
    }, { timeoutMs: 60_000 });
    expect(byNode(placed)).toEqual({ [MACHINE]: 4, [BURST]: 6 });
    for (const p of placed) expect(p.metadata?.annotations?.[PLACEMENT_ANNOTATION]).toBe(p.spec?.nodeName === MACHINE ? 'local' : 'cci');
    const events = await api.kubectl.ok(['get', 'events', '--field-selector', 'reason=BurstPlacement', '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}']);
    expect(events.split('\n').filter((m) => m.includes('no cluster node fits'))).toHaveLength(6);
  });

  it('burst pods carry a lower pod-deletion-cost, so a ReplicaSet scaling in removes them first', async () => {
    await waitFor('deletion costs on the burst pods', async () => {
      const list = (await pods('app=lp')).filter((p) => p.spec?.nodeName === BURST);
      return list.every((p) => p.metadata?.annotations?.[DELETION_COST_ANNOTATION] === '-1') ? true : undefined;
    }, { timeoutMs: 30_000 });
    const local = (await pods('app=lp')).filter((p) => p.spec?.nodeName === MACHINE);
    expect(local.map((p) => p.metadata?.annotations?.[DELETION_COST_ANNOTATION])).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('enforce (namespace label): every pod bursts, though the cluster node would fit some', async () => {
    // No kubelet confirms deletions on the machine: force them.
    await api.kubectl.ok(['delete', 'pods', '-l', 'app=lp', '--grace-period=0', '--force']);
    await waitFor('the cluster node to be free', async () => ((await pods('app=lp')).length === 0 ? true : undefined), { timeoutMs: 60_000 });
    await Promise.all(Array.from({ length: 3 }, (_, i) => create(pod(`en-${i}`), 'enforced')));
    const placed = await waitFor('enforced pods bound', async () => {
      const list = await pods('app=en', 'enforced');
      return list.length === 3 && list.every((p) => p.spec?.nodeName) ? list : undefined;
    }, { timeoutMs: 60_000 });
    expect(byNode(placed)).toEqual({ [BURST]: 3 });
  });

  it('off: no pod bursts; beyond the cluster node\'s room they stay Pending with FailedScheduling', async () => {
    await Promise.all(Array.from({ length: 6 }, (_, i) => create(pod(`off-${i}`, { [LABEL]: 'off' }))));
    await waitFor('4 on the machine, 2 unschedulable', async () => {
      const list = await pods('app=off');
      const counts = byNode(list);
      return counts[MACHINE] === 4 && counts.pending === 2 ? true : undefined;
    }, { timeoutMs: 60_000 });
    const events = await api.kubectl.ok(['get', 'events', '--field-selector', 'reason=FailedScheduling', '-o', 'jsonpath={range .items[*]}{.involvedObject.name} {.message}{"\\n"}{end}']);
    // The virtual node is rejected by its taint, the first filter that fails there (kube-scheduler's order).
    expect(events).toMatch(/off-\d 0\/2 nodes are available: 1 Too many pods, 1 node\(s\) had untolerated taint \{virtual-kubelet.io\/provider: cci\}/);
    await api.kubectl.ok(['delete', 'pods', '-l', 'app=off', '--grace-period=0', '--force']);
  });

  it('a pod the webhook never saw gets a Warning event saying its policy was not applied', async () => {
    await api.kubectl.ok(['-n', 'preferring', 'create', '-f', '-'], { stdin: JSON.stringify(pod('unseen')) });
    const message = await waitFor('the missed-policy event', async () => {
      const out = await api.kubectl.ok(['-n', 'preferring', 'get', 'events', '--field-selector', 'reason=BurstPolicyNotApplied,involvedObject.name=unseen', '-o', 'jsonpath={.items[0].type} {.items[0].message}']);
      return out.trim() === '' ? undefined : out;
    }, { timeoutMs: 30_000 });
    expect(message).toMatch(/^Warning created without its burst policy: the admission webhook was unreachable .* policy localPrefer \(from the namespace label\)/);
  });

  it('reports webhook latency, decisions by policy and pods per workload and location', async () => {
    const text = await node.metrics();
    expect(counterSum(text, 'burstlet_policy_decisions_total', { policy: 'localPrefer', source: 'pod' })).toBeGreaterThanOrEqual(10);
    expect(counterSum(text, 'burstlet_policy_decisions_total', { policy: 'enforce', source: 'namespace' })).toBeGreaterThanOrEqual(3);
    expect(counterSum(text, 'burstlet_policy_placements_total', { placement: 'cci' })).toBeGreaterThanOrEqual(6);
    expect(text).toMatch(/burstlet_policy_webhook_duration_seconds\{quantile="0.99"\} \d/);
    expect(counterSum(text, 'burstlet_policy_pods', { namespace: 'enforced', location: 'cci' })).toBe(3);
    expect(counterSum(text, 'burstlet_policy_leader')).toBe(1);
  });

  it('a second replica serves the webhook too, with the same certificate; when the leader stops, it takes over placement', async () => {
    const port = await freePort();
    const second = await startBurstNode({ kubeconfig: api.kubeconfig, cci, name: `${BURST}-2`, args: [`--webhook-port=${port}`, '--webhook-hosts=127.0.0.1'] });
    try {
      const r = await admitThroughWebhook(`https://127.0.0.1:${port}/mutate`, pod('probe'), 'enforced');
      expect(JSON.parse(r.object.metadata!.annotations![APPLIED_ANNOTATION]!)).toMatchObject({ policy: 'enforce', source: 'namespace' });
      expect(await servedCertificate(port)).toBe(await servedCertificate(Number(new URL(webhook).port)));
      expect(counterSum(await second.metrics(), 'burstlet_policy_leader')).toBe(0);
      await node.stop();
      await waitFor('the second replica to lead', async () => (counterSum(await second.metrics(), 'burstlet_policy_leader') === 1 ? true : undefined), { timeoutMs: 30_000 });
      const { object } = await admitThroughWebhook(`https://127.0.0.1:${port}/mutate`, pod('after-0', { [LABEL]: 'localPrefer' }), 'default');
      await api.kubectl.ok(['create', '-f', '-'], { stdin: JSON.stringify(object) });
      const placed = await waitFor('the pod placed by the new leader', async () => {
        const [p] = await pods('app=after');
        return p?.metadata?.annotations?.[PLACEMENT_ANNOTATION];
      }, { timeoutMs: 30_000 });
      expect(placed).toBe('local');
    } finally {
      await second.stop();
    }
  });
});

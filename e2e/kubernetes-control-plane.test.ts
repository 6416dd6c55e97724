// The local environment on the real control plane (`burstlet local --nodes
// --control-plane=kubernetes`): kube-scheduler places burst pods, kube-apiserver validates
// burstlet's status writes and authorizes them with manifests/'s RBAC, and kube-apiserver's own
// kubelet client (client certificate, serving certificate verified) carries exec and logs from
// the real kubectl 1.33 (WebSocket, then SPDY forced) and 1.27.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/poll.ts';
import { cciPodsOf, kubernetesMissing, kubernetesTitle, startKubernetesCluster, type KubernetesCluster } from './support/kubernetes-cluster.ts';
import { withoutWebSocketRaceLog, type KubectlOptions } from './support/kubectl.ts';

const BURST_NODE = 'burstlet-cci';

function deployment(name: string, replicas: number, tolerate: boolean): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          ...(tolerate ? { tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }] } : {}),
          nodeSelector: { 'kubernetes.io/hostname': BURST_NODE },
          terminationGracePeriodSeconds: 2,
          containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo started $HOSTNAME; exec sleep infinity'] }],
        },
      },
    },
  });
}

interface PodList {
  items: { metadata: { name: string }; spec: { nodeName?: string }; status: { phase?: string } }[];
}
interface EventList {
  items: { reason?: string; reportingComponent?: string; source?: { component?: string }; involvedObject: { name?: string }; message?: string }[];
}

describe.skipIf(kubernetesMissing !== undefined)(kubernetesTitle('burstlet on the real control plane (kube-apiserver, kube-scheduler, kube-controller-manager 1.33)'), () => {
  let cluster: KubernetesCluster;

  async function ok(args: string[], o?: KubectlOptions): Promise<string> {
    const r = await cluster.kubectl.run(args, o);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  }
  const json = async <T>(args: string[]): Promise<T> => JSON.parse(await ok([...args, '-o', 'json'])) as T;
  const burstPods = async (): Promise<PodList['items']> => (await json<PodList>(['get', 'pods', '-l', 'app=burst'])).items;

  beforeAll(async () => {
    cluster = await startKubernetesCluster();
  }, 300_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  it('is ready only once both nodes are Ready and schedulable, registered under the manifests\' ServiceAccount', async () => {
    // Read at once: `burstlet local` printed its ready line when kube-controller-manager had
    // taken off the not-ready taint kube-apiserver puts on every new Node. Before, pods created
    // right after it could not land on cluster-node-1 (localPrefer sent them to CCI).
    const nodes = await json<{ items: { metadata: { name: string }; spec?: { taints?: { key: string }[] }; status?: { conditions?: { type: string; status: string }[] } }[] }>(['get', 'nodes']);
    const seen = Object.fromEntries(nodes.items.map((n) => [n.metadata.name, {
      ready: n.status?.conditions?.find((c) => c.type === 'Ready')?.status,
      taints: (n.spec?.taints ?? []).map((t) => t.key).sort(),
    }]));
    expect(seen).toEqual({
      [BURST_NODE]: { ready: 'True', taints: ['virtual-kubelet.io/provider'] },
      'cluster-node-1': { ready: 'True', taints: [] },
    });
    // The audit policy records only system:serviceaccount:kube-system:burstlet's requests.
    const created = cluster.burstletAudit().filter((e) => e.verb === 'create' && e.objectRef?.resource === 'nodes');
    expect(created.map((e) => e.responseStatus?.code)).toEqual([201, 201]);
  });

  it('runs a 20-replica Deployment that tolerates and selects the burst node: every pod placed there by default-scheduler and Running', async () => {
    await ok(['apply', '-f', '-'], { stdin: deployment('burst', 20, true) });
    const pods = await waitFor('20 burst pods Running', async () => {
      const items = await burstPods();
      return items.length === 20 && items.every((p) => p.status.phase === 'Running') ? items : undefined;
    }, { timeoutMs: 120_000 });
    expect(pods.map((p) => p.spec.nodeName)).toEqual(Array(20).fill(BURST_NODE));
    const events = await json<EventList>(['get', 'events', '--field-selector', 'reason=Scheduled']);
    const scheduled = events.items.filter((e) => pods.some((p) => p.metadata.name === e.involvedObject.name));
    expect(scheduled).toHaveLength(20);
    for (const e of scheduled) {
      expect(e.reportingComponent || e.source?.component).toBe('default-scheduler');
      expect(e.message).toContain(`to ${BURST_NODE}`);
    }
  }, 180_000);

  it('kubectl wait --for=condition=Ready sees the burst pods Ready', async () => {
    const r = await cluster.kubectl.run(['wait', '--for=condition=Ready', 'pod', '-l', 'app=burst', '--timeout=60s'], { timeoutMs: 70_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(20);
  }, 80_000);

  it('leaves a Deployment that does not tolerate the burst node\'s taint Pending with FailedScheduling from default-scheduler', async () => {
    await ok(['apply', '-f', '-'], { stdin: deployment('untolerated', 1, false) });
    const event = await waitFor('FailedScheduling for the untolerated pod', async () => {
      const events = await json<EventList>(['get', 'events', '--field-selector', 'reason=FailedScheduling']);
      return events.items.find((e) => e.involvedObject.name?.startsWith('untolerated-'));
    }, { timeoutMs: 60_000 });
    expect(event.reportingComponent || event.source?.component).toBe('default-scheduler');
    expect(event.message).toContain('untolerated taint');
    expect(await ok(['get', 'pods', '-l', 'app=untolerated', '-o', 'jsonpath={.items[*].status.phase}'])).toBe('Pending');
  }, 80_000);

  it('execs through kube-apiserver with kubectl 1.33 over WebSocket, 1.33 over SPDY and 1.27, with exit codes', async () => {
    const pod = (await burstPods())[0]!.metadata.name;
    const spdy = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' };
    for (const [label, o] of [['1.33 WebSocket', {}], ['1.33 SPDY', { env: spdy }], ['1.27', { version: '1.27' }]] as const) {
      const r = await cluster.kubectl.run(['exec', pod, '--', 'sh', '-c', `echo ${label.replace(/ /g, '-')}; echo err >&2`], o);
      expect({ ...r, stderr: withoutWebSocketRaceLog(r.stderr) }, label).toMatchObject({ code: 0, stdout: `${label.replace(/ /g, '-')}\n`, stderr: 'err\n' });
      const failed = await cluster.kubectl.run(['exec', pod, '--', 'sh', '-c', 'exit 3'], o);
      expect(failed.code, `${label}: ${failed.stderr}`).toBe(3);
    }
    const stdin = await cluster.kubectl.run(['exec', '-i', pod, '--', 'cat'], { stdin: 'through the API server\n' });
    expect(stdin.stdout).toBe('through the API server\n');
  }, 60_000);

  it('serves kubectl logs through kube-apiserver', async () => {
    const pod = (await burstPods())[0]!.metadata.name;
    for (const version of ['1.33', '1.27'] as const) {
      expect(await ok(['logs', pod], { version })).toBe(`started ${pod}\n`);
    }
  });

  it('scales the burst Deployment from 20 to 5: fifteen graceful deletions finished by burstlet, no CCI pod left behind', async () => {
    await ok(['scale', 'deployment/burst', '--replicas=5']);
    const left = await waitFor('15 burst pods deleted', async () => {
      const items = await burstPods();
      return items.length === 5 ? items : undefined;
    }, { timeoutMs: 90_000 });
    expect(left.every((p) => p.status.phase === 'Running')).toBe(true);
    const onCci = (await cciPodsOf(cluster, BURST_NODE)).map((p) => p.metadata.annotations?.['burstlet.io/pod']).filter((k) => k?.startsWith('default/burst-')).sort();
    expect(onCci).toEqual(left.map((p) => `default/${p.metadata.name}`).sort());
  }, 100_000);

  it('made no request kube-apiserver refused (its audit log) and logged no 403', () => {
    const refused = cluster.burstletAudit().filter((e) => {
      const code = e.responseStatus?.code ?? 0;
      // A lookup of what does not exist yet (the Lease, the sidecar key) is how burstlet creates it.
      return code >= 400 && !(code === 404 && e.verb === 'get');
    });
    expect(refused.map((e) => `${e.verb} ${e.requestURI} → ${e.responseStatus?.code} ${e.responseStatus?.message ?? ''}`)).toEqual([]);
    expect(cluster.logs()).not.toMatch(/\b403\b|Forbidden/);
  });
});

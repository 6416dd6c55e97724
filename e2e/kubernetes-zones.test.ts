// One burstlet process, one virtual node per availability zone (CCE's kube-system/bursting-node
// ConfigMap), on the real control plane: kube-scheduler spreads a Deployment with a zone
// topologySpreadConstraint 3/3/3; a zone whose CCI Network fails its health check is cordoned
// (condition, Warning event) and new pods go to the other two; healed, it takes pods again; a
// zone taken out of the ConfigMap loses its node and its CCI pods, and so does one taken out
// while burstlet was not running, at its next start.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubernetesMissing, kubernetesTitle, startKubernetesCluster, type KubernetesCluster } from './support/kubernetes-cluster.ts';
import { startBurstNode, startMockCci, type BurstNode, type MockCci } from './support/burst-node.ts';
import { waitFor } from './support/poll.ts';

const NODE = 'burst-zones';
const ZONES = ['az-a', 'az-b', 'az-c'] as const;
const third = 64 + 4 * Math.floor(Math.random() * 40);
const subnets = ZONES.map((z, i) => `${z}=198.18.${third + i}.0/24`);

describe.skipIf(kubernetesMissing)(kubernetesTitle('zone nodes from the bursting-node ConfigMap, on the real control plane'), () => {
  let cluster: KubernetesCluster;
  let cci: MockCci;
  let node: BurstNode;
  const zoneNode = (z: string): string => `${NODE}-${z}`;
  const configMap = (zones: readonly string[]) => ({
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bursting-node', namespace: 'kube-system' },
    data: Object.fromEntries(zones.flatMap((z) => [[z, 'true'], [`${z}.networks`, z], [`${z}.cpu`, '64']])),
  });

  const startNode = (): Promise<BurstNode> => startBurstNode({
    kubeconfig: cluster.kubeconfig, cci, name: NODE,
    args: ['--cluster-dns=198.19.0.10', '--node-labels=burstlet.io/e2e=zones', '--zone-health-check-period=2s', '--node-status-update-frequency=1s', '--cluster-id=zones-e2e'],
  });

  beforeAll(async () => {
    cluster = await startKubernetesCluster();
    cci = await startMockCci({ subnet: subnets.join(',') });
    await cluster.kubectl.create(configMap(ZONES));
    node = await startNode();
  }, 300_000);

  afterAll(async () => {
    await node?.stop();
    await cci?.stop();
    await cluster?.stop();
  });

  const nodeField = (name: string, path: string): Promise<string> => cluster.kubectl.ok(['get', 'node', name, '-o', `jsonpath=${path}`]);
  const placement = async (): Promise<Record<string, number>> => {
    const out = await cluster.kubectl.ok(['get', 'pods', '-l', 'app=spread', '-o', 'jsonpath={range .items[*]}{.spec.nodeName} {.status.phase}{"\\n"}{end}']);
    const counts: Record<string, number> = {};
    for (const line of out.trim().split('\n').filter(Boolean)) {
      const [n, phase] = line.split(' ');
      if (phase === 'Running') counts[n!] = (counts[n!] ?? 0) + 1;
    }
    return counts;
  };
  const scale = (replicas: number) => cluster.kubectl.ok(['scale', 'deployment/spread', `--replicas=${replicas}`]);
  const waitPlacement = (want: Record<string, number>) => waitFor(`pods placed ${JSON.stringify(want)}`, async () => {
    const got = await placement();
    const sorted = (o: Record<string, number>): string => JSON.stringify(Object.entries(o).sort());
    return sorted(got) === sorted(want) ? got : undefined;
  }, { timeoutMs: 90_000, intervalMs: 500, context: () => `burstlet node logs: ${node.logs().slice(-3000)}` });

  it('three zone nodes, labelled with their zone and sized by the ConfigMap, beside the global node', async () => {
    for (const z of ZONES) {
      await waitFor(`${zoneNode(z)} Ready`, async () => ((await nodeField(zoneNode(z), '{.status.conditions[?(@.type=="Ready")].status}').catch(() => '')) === 'True' ? true : undefined), { timeoutMs: 60_000 });
      expect(await nodeField(zoneNode(z), '{.metadata.labels.topology\\.kubernetes\\.io/zone}')).toBe(z);
      expect(await nodeField(zoneNode(z), '{.metadata.labels.failure-domain\\.beta\\.kubernetes\\.io/zone}')).toBe(z);
      expect(await nodeField(zoneNode(z), '{.status.allocatable.cpu}')).toBe('64');
      // A /24 has 253 pod IPs: the zone's own Network bounds its pods.
      expect(await nodeField(zoneNode(z), '{.status.allocatable.pods}')).toBe('253');
    }
    expect(await nodeField(NODE, '{.metadata.labels.topology\\.kubernetes\\.io/zone}')).toBe('');
  });

  it('a zone topologySpreadConstraint spreads 9 replicas 3/3/3, each pod with an IP of its zone\'s subnet', async () => {
    await cluster.kubectl.create({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'spread' },
      spec: {
        replicas: 9, selector: { matchLabels: { app: 'spread' } },
        template: {
          metadata: { labels: { app: 'spread' } },
          spec: {
            nodeSelector: { 'burstlet.io/e2e': 'zones' },
            tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
            topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'spread' } } }],
            terminationGracePeriodSeconds: 1,
            containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }],
          },
        },
      },
    });
    await waitPlacement(Object.fromEntries(ZONES.map((z) => [zoneNode(z), 3])));
    const ips = await cluster.kubectl.ok(['get', 'pods', '-l', 'app=spread', '-o', 'jsonpath={range .items[*]}{.spec.nodeName} {.status.podIP}{"\\n"}{end}']);
    for (const line of ips.trim().split('\n')) {
      const [n, ip] = line.split(' ');
      const i = ZONES.findIndex((z) => zoneNode(z) === n);
      expect(ip).toMatch(new RegExp(`^198\\.18\\.${third + i}\\.`));
    }
  });

  it('a zone failing its health check is cordoned with a condition and an event; new pods go to the other two; healed, it takes pods again', async () => {
    const b = zoneNode('az-b');
    await cci.setNetworkPhase('az-b', 'Unavailable');
    await waitFor(`${b} unschedulable`, async () => ((await nodeField(b, '{.spec.unschedulable}')) === 'true' ? true : undefined), { timeoutMs: 30_000 });
    expect(await nodeField(b, '{.status.conditions[?(@.type=="burstlet.io/ZoneUnavailable")].status}')).toBe('True');
    expect(await nodeField(b, '{.status.conditions[?(@.type=="burstlet.io/ZoneUnavailable")].message}')).toContain('Network az-b');
    const events = await cluster.kubectl.ok(['get', 'events', '-A', '--field-selector', `involvedObject.name=${b},reason=ZoneUnavailable`, '-o', 'jsonpath={.items[*].type}']);
    expect(events).toContain('Warning');
    // 9 → 11: under maxSkew 1, one more in each of the zones that take pods; none on the cordoned one.
    await scale(11);
    await waitPlacement({ [zoneNode('az-a')]: 4, [b]: 3, [zoneNode('az-c')]: 4 });

    await cci.setNetworkPhase('az-b', 'Active');
    await waitFor(`${b} schedulable again`, async () => ((await nodeField(b, '{.spec.unschedulable}')) === '' ? true : undefined), { timeoutMs: 30_000 });
    expect(await nodeField(b, '{.status.conditions[?(@.type=="burstlet.io/ZoneUnavailable")].status}')).toBe('False');
    await scale(12);
    await waitPlacement({ [zoneNode('az-a')]: 4, [b]: 4, [zoneNode('az-c')]: 4 });
  });

  it('a zone taken out of the ConfigMap loses its node and its CCI pods', async () => {
    const c = zoneNode('az-c');
    await cluster.kubectl.ok(['replace', '-f', '-'], { stdin: JSON.stringify(configMap(['az-a', 'az-b'])) });
    await waitFor(`${c} deleted`, async () => ((await cluster.kubectl.run(['get', 'node', c])).code !== 0 ? true : undefined), { timeoutMs: 30_000, context: () => `burstlet node logs: ${node.logs().slice(-3000)}` });
    const left = (await cci.pods()).filter((p) => !p.metadata.deletionTimestamp && p.metadata.labels?.['burstlet.io/node'] === c);
    expect(left).toEqual([]);
    expect(await nodeField(zoneNode('az-a'), '{.status.conditions[?(@.type=="Ready")].status}')).toBe('True');
  });

  it('a zone taken out of the ConfigMap while burstlet was down loses its node and its CCI pods at the next start', async () => {
    const b = zoneNode('az-b');
    expect(await nodeField(b, '{.metadata.labels.burstlet\\.io/zone-node-of}')).toBe(NODE);
    const ofB = async (): Promise<number> => (await cci.pods()).filter((p) => !p.metadata.deletionTimestamp && p.metadata.labels?.['burstlet.io/node'] === b).length;
    expect(await ofB()).toBeGreaterThan(0);
    await node.stop();
    await cluster.kubectl.ok(['replace', '-f', '-'], { stdin: JSON.stringify(configMap(['az-a'])) });
    node = await startNode();
    await waitFor(`${b} deleted`, async () => ((await cluster.kubectl.run(['get', 'node', b])).code !== 0 ? true : undefined), { timeoutMs: 30_000, context: () => `burstlet node logs: ${node.logs().slice(-3000)}` });
    expect(await ofB()).toBe(0);
    await waitFor(`${zoneNode('az-a')} Ready`, async () => ((await nodeField(zoneNode('az-a'), '{.status.conditions[?(@.type=="Ready")].status}')) === 'True' ? true : undefined), { timeoutMs: 30_000 });
  });
});

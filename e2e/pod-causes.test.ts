// Why a pod does not run, where users look (kubectl get/describe): the mock CCI's failures reach
// the pod as the kubelet's waiting reasons and events (ErrImagePull, ImagePullBackOff,
// InvalidImageName, a command that cannot start), and an unready networking sidecar's own last
// error reaches the NetworkReady condition and a Warning event.
import type { V1Pod } from '@kubernetes/client-node';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayOf } from '../src/local/nodes.ts';
import { randomSubnet, startBurstNode, startMockCci, type BurstNode, type MockCci } from './support/burst-node.ts';
import { describeIsolated } from './support/isolated.ts';
import { startLocalCluster, type LocalCluster } from './support/local-cluster.ts';
import { freePort } from '../src/local/free-port.ts';

async function ok(cluster: LocalCluster, args: string[], stdin?: string): Promise<string> {
  const r = await cluster.kubectl.run(args, stdin === undefined ? {} : { stdin });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

const pod = (name: string, container: string, extra = ''): string =>
  `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec:\n  terminationGracePeriodSeconds: 1\n${extra}  containers: [${container}]\n`;

describe('the mock CCI\'s failures, as the kubelet reports them', () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    cluster = await startLocalCluster({ args: ['--nodes', '--runtime=process'], readyTimeoutMs: 90_000 });
    await ok(cluster, ['apply', '-f', '-'], [
      pod('pull', '{name: app, image: "registry.invalid/team/app:1"}'),
      pod('badname', '{name: app, image: "Team/App"}'),
      pod('nocmd', '{name: app, image: busybox, command: [no-such-command-here]}'),
    ].join('---\n'));
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const describePod = (name: string): Promise<string> => ok(cluster, ['describe', 'pod', name]);

  it('an image that cannot be pulled: ErrImagePull, then ImagePullBackOff, with the kubelet\'s events', async () => {
    await expect.poll(() => describePod('pull'), { timeout: 30_000 }).toMatch(/Normal\s+BackOff\s+.*Back-off pulling image "registry\.invalid\/team\/app:1"/);
    const described = await describePod('pull');
    expect(described).toMatch(/Warning\s+Failed\s+.*Failed to pull image "registry\.invalid\/team\/app:1": .*lookup registry\.invalid: no such host/);
    expect(described).toMatch(/Warning\s+Failed\s+.*Error: ErrImagePull/);
    expect(described).toMatch(/Warning\s+Failed\s+.*Error: ImagePullBackOff/);
    const status = JSON.parse(await ok(cluster, ['get', 'pod', 'pull', '-o', 'json'])) as V1Pod;
    expect(status.status?.phase).toBe('Pending');
    expect(['ErrImagePull', 'ImagePullBackOff']).toContain(status.status?.containerStatuses?.[0]?.state?.waiting?.reason);
  });

  it('an image name that does not parse: InvalidImageName and InspectFailed', async () => {
    await expect.poll(() => describePod('badname'), { timeout: 30_000 }).toMatch(/Warning\s+InspectFailed\s+.*couldn't parse image name "Team\/App": invalid reference format/);
    expect(await ok(cluster, ['get', 'pod', 'badname'])).toMatch(/badname\s+0\/1\s+InvalidImageName/);
  });

  it('a command that cannot start: Failed with the runtime\'s error', async () => {
    await expect.poll(() => describePod('nocmd'), { timeout: 30_000 }).toMatch(/Warning\s+Failed\s+.*Error: .*no-such-command-here/);
  });
});

describeIsolated('an unready networking sidecar says why', () => {
  let cluster: LocalCluster;
  let cci: MockCci;
  let node: BurstNode;
  beforeAll(async () => {
    cluster = await startLocalCluster();
    const subnet = randomSubnet();
    cci = await startMockCci({ subnet, args: ['--runtime=isolated'] });
    // The directory listens on 127.0.0.1 while sidecars are told to dial the pods' gateway: refused.
    node = await startBurstNode({
      kubeconfig: cluster.kubeconfig, cci, name: 'burst-causes', clientCaFile: join(cluster.stateDir, 'ca.pem'),
      args: ['--enable-networking', `--service-directory-address=${gatewayOf(subnet)}`, `--service-directory-port=${await freePort()}`],
    });
    await ok(cluster, ['apply', '-f', '-'], pod('lonely', '{name: app, image: busybox, command: [sleep, "3600"]}',
      '  nodeName: burst-causes\n  tolerations: [{key: virtual-kubelet.io/provider, operator: Exists}]\n'));
  });
  afterAll(async () => {
    await node?.stop();
    await cci?.stop();
    await cluster?.stop();
  });

  it('NetworkReady and a Warning carry the sidecar\'s last logged error', async () => {
    const condition = async (): Promise<string> => {
      const p = JSON.parse(await ok(cluster, ['get', 'pod', 'lonely', '-o', 'json'])) as V1Pod;
      return p.status?.conditions?.find((c) => c.type === 'burstlet.io/NetworkReady')?.message ?? '';
    };
    await expect.poll(condition, { timeout: 60_000 }).toMatch(/^the burstlet-network sidecar is not ready \(.*service directory.*ECONNREFUSED.*\): ClusterIP Services/);
    expect(await ok(cluster, ['describe', 'pod', 'lonely'])).toMatch(/Warning\s+NetworkNotReady\s+.*the burstlet-network sidecar is not ready: .*ECONNREFUSED/);
  });
});

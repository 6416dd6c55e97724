// The service directory of `burstlet node` on the local API server: Services and
// EndpointSlices from two watches reach a sidecar's directory client, over both transports of
// the injected sidecar's URL, with credentials from a persistent node key.
import https from 'node:https';
import { expect, it } from 'vitest';
import { describeIsolated } from './support/isolated.ts';
import { KubeClient, loadKubeConfig } from '../src/kube/client.ts';
import { createLogger } from '../src/log/logger.ts';
import { startNodeNetworking } from '../src/network/node-networking.ts';
import { loadOrCreateNodeSecret } from '../src/network/service-directory/node-directory.ts';
import { SIDECAR_CA_ENV, SIDECAR_CREDENTIAL_ENV } from '../src/network/sidecar-injection.ts';
import { selfSignedServingCert } from '../src/provider/kubelet/serving-cert.ts';
import { DirectoryClient } from '../src/sidecar/directory-client.ts';
import type { ForwardingEntry } from '../src/sidecar/rules.ts';
import { startLocalCluster } from './support/local-cluster.ts';
import { pollUntil } from './support/poll.ts';
import { freePort } from '../src/local/free-port.ts';

const log = createLogger('silent', 'e2e');

describeIsolated('service directory on the local API server', () => {
  // Both transports of the injected sidecar's URL: burstlet's own plain listener (the default)
  // and the kubelet port's TLS (--service-directory-tls), with the CA the injection hands over.
  it.each(['plain', 'kubelet-tls'] as const)('streams Services and EndpointSlices from two watches, with credentials from a persistent node key (%s)', async (kind) => {
    const cluster = await startLocalCluster();
    const cleanup: (() => unknown)[] = [() => cluster.stop()];
    try {
      const client = await KubeClient.create(loadKubeConfig(cluster.kubeconfig));
      const port = await freePort();
      const kubeletTls = await selfSignedServingCert('e2e', ['127.0.0.1']);
      const networking = await startNodeNetworking({
        client, log, nodeName: 'e2e', image: 'burstlet/network:0.1.0', proxyMode: 'nftables', isActivePod: (uid) => uid === 'pod-x', directoryAddress: '127.0.0.1',
        transport: kind === 'plain'
          ? { kind, listenAddress: '127.0.0.1', port }
          : { kind, kubeletPort: port, caPem: kubeletTls.certPem },
      });
      cleanup.push(() => networking.stop());
      if (kind === 'kubelet-tls') {
        // Stands in for the kubelet server, which mounts the same hook (virtual-node.ts).
        const kubelet = https.createServer({ key: kubeletTls.keyPem, cert: kubeletTls.certPem });
        kubelet.on('upgrade', (req, socket, head) => {
          if (!networking.kubeletUpgrade!(req, socket, head)) socket.destroy();
        });
        await new Promise<void>((r) => kubelet.listen(port, '127.0.0.1', r));
        cleanup.push(() => kubelet.close());
      }
      expect(networking.directoryUrl).toBe(`${kind === 'plain' ? 'ws' : 'wss'}://127.0.0.1:${port}/burstlet/v1/service-directory`);
      // The key is kept in a Secret: a restarted burstlet signs the same credentials.
      const key = await loadOrCreateNodeSecret(client, 'kube-system', 'burstlet-sidecar-key-e2e');
      expect((await loadOrCreateNodeSecret(client, 'kube-system', 'burstlet-sidecar-key-e2e')).equals(key)).toBe(true);
      // The injected container carries everything the sidecar needs to follow the directory.
      const container = networking.sidecarFor({ metadata: { uid: 'pod-x' } })!;
      const url = container.args!.find((a) => a.startsWith('--directory-url='))!.slice('--directory-url='.length);
      const env = (name: string): string | undefined => container.env!.find((e) => e.name === name)?.value;
      const credential = env(SIDECAR_CREDENTIAL_ENV)!;
      const ca = env(SIDECAR_CA_ENV);
      expect(ca === undefined).toBe(kind === 'plain');
      let table = new Map<string, ForwardingEntry>();
      const sidecar = new DirectoryClient({ url, podUid: 'pod-x', credential, log, onTable: (t) => (table = t), ...(ca ? { ca } : {}) });
      sidecar.start();
      cleanup.push(() => sidecar.stop());
      const apply = async (doc: object): Promise<void> => {
        const r = await cluster.kubectl.run(['apply', '-f', '-'], { stdin: JSON.stringify(doc) });
        expect(r.stderr).toBe('');
      };
      await apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'manual', namespace: 'default' },
        spec: { clusterIP: '198.19.0.77', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
      const slice = (addresses: string[]) => ({
        apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
        metadata: { name: 'manual-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'manual' } },
        endpoints: addresses.map((a) => ({ addresses: [a] })), ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      });
      await apply(slice(['198.18.200.5', '198.18.200.6']));
      const backends = () => (table.get('TCP/198.19.0.77:80')?.backends ?? []).map((b) => b.address).join();
      await pollUntil('the Service in the sidecar table', async () => backends(), (b) => b === '198.18.200.5,198.18.200.6');
      await apply(slice(['198.18.200.7']));
      await pollUntil('the slice change', async () => backends(), (b) => b === '198.18.200.7');
      await cluster.kubectl.run(['delete', 'service', 'manual']);
      await pollUntil('the Service to go', async () => table.has('TCP/198.19.0.77:80'), (has) => !has);
      expect(sidecar.connected).toBe(true);
    } finally {
      for (const c of cleanup.reverse()) await c();
    }
  });
});

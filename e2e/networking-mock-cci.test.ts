// The injected burstlet-network sidecar inside the mock CCI's isolated runtime: a burst pod
// (sidecar + app) reaches an nginx burst pod through a ClusterIP, the sidecar having found
// the directory over wss with the CA and credential the injection put in its env. Needs root.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeIsolated } from './support/isolated.ts';
import { CciClient } from '../src/cci/client.ts';
import type { CciContainer } from '../src/cci/types.ts';
import { createLogger } from '../src/log/logger.ts';
import { newNodeSecret, podCredential, activePodCredentials } from '../src/network/service-directory/credentials.ts';
import { startStandaloneDirectory, type StandaloneDirectory } from '../src/network/service-directory/server.ts';
import { DirectoryState } from '../src/network/service-directory/state.ts';
import { sidecarContainer } from '../src/network/sidecar-injection.ts';
import { startMockCci, type MockCci } from './support/burst-node.ts';
import { cciLogs, cciPod } from './support/pods.ts';
import { pollUntil } from './support/poll.ts';

const third = 100 + Math.floor(Math.random() * 150);
const prefix = `198.18.${third}`;
const log = createLogger('silent', 'e2e');
const CLUSTER_IP = '198.19.0.30';

let tmp: string;
let mock: MockCci | undefined;
let cci: CciClient;
let directory: StandaloneDirectory;
const state = new DirectoryState();
const secret = newNodeSecret();

/** Waits for the mock's pods; a timeout shows the mock's logs. */
const WAIT = { timeoutMs: 30_000, context: () => `mock logs: ${mock?.logs().slice(-2000)}` };

const logsOf = (name: string, container: string): Promise<string> => cciLogs(cci, name, container);


describeIsolated('burstlet-network sidecar in the mock CCI (isolated runtime)', () => {
  beforeAll(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), 'bl-netcci-'));
    mock = await startMockCci({ subnet: `${prefix}.0/24`, args: ['--runtime=isolated', `--state-dir=${path.join(tmp, 'state')}`] });
    cci = new CciClient({ endpoint: mock.url, token: mock.token, namespace: 'default', timeoutMs: 10_000 });
    // The directory listens on the subnet's gateway (the mock's bridge): what burst pods reach.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=burstlet-node', '-addext', `subjectAltName=IP:${prefix}.1`,
      '-keyout', path.join(tmp, 'key.pem'), '-out', path.join(tmp, 'cert.pem')], { stdio: 'ignore' });
    state.markSynced();
    directory = await startStandaloneDirectory({
      state, log, host: `${prefix}.1`, port: 0,
      tls: { key: readFileSync(path.join(tmp, 'key.pem'), 'utf8'), cert: readFileSync(path.join(tmp, 'cert.pem'), 'utf8') },
      credentials: activePodCredentials(secret, (uid) => uid === 'uid-client'),
    });
  });

  afterAll(async () => {
    await directory?.close();
    await cci?.close();
    await mock?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('an app container reaches an nginx burst pod by ClusterIP through the injected sidecar', async () => {
    await cci.createPod(cciPod('web', [{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 8080 }] }]));
    const web = await pollUntil('nginx to run', () => cci.getPod('web'), (p) => p.status?.phase === 'Running' && !!p.status.podIP, WAIT);
    state.setService('default/web', {
      namespace: 'default', name: 'web', clusterIPs: [CLUSTER_IP], ports: [{ name: 'http', protocol: 'TCP', port: 80 }], affinitySeconds: null,
    });
    state.setSlice('default/web-1', {
      namespace: 'default', name: 'web-1', serviceName: 'web', addressType: 'IPv4',
      endpoints: [{ address: web.status!.podIP!, ready: true, serving: true, terminating: false }],
      ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
    });
    const sidecar = sidecarContainer({
      image: 'burstlet/network:0.1.0', proxyMode: 'nftables', directoryUrl: directory.url, podUid: 'uid-client',
      credential: podCredential(secret, 'uid-client'), caPem: readFileSync(path.join(tmp, 'cert.pem'), 'utf8'),
    });
    // The client pod also serves on the Service's port itself (nginx on 0.0.0.0:80): the sidecar
    // must leave that port to it (it DNATs ClusterIP:80 to a port of its own).
    const app: CciContainer = {
      name: 'app', image: 'curlimages/curl',
      command: ['sh', '-c', `while true; do curl -s -m 2 -o /dev/null -w "status=%{http_code}\\n" http://${CLUSTER_IP}/; ` +
        'curl -s -m 2 -o /dev/null -w "own=%{http_code}\\n" http://127.0.0.1/own; sleep 0.5; done'],
    };
    const own: CciContainer = { name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80 }] };
    await cci.createPod(cciPod('client', [sidecar, app, own]));
    // The app containers start only once the sidecar's postStart saw it healthy, so the pod is
    // Pending for a moment after the sidecar turns ready: wait for both.
    const ready = await pollUntil('the sidecar to be ready and the pod running', () => cci.getPod('client'),
      (p) => p.status?.phase === 'Failed' ||
        (p.status?.phase === 'Running' && p.status.containerStatuses?.find((c) => c.name === 'burstlet-network')?.ready === true), WAIT);
    expect(ready.status?.phase).toBe('Running');
    await pollUntil('curl through the ClusterIP', () => logsOf('client', 'app'), (l) => l.includes('status=200'), WAIT);
    // The ClusterIP reached the web pod, and the pod's own nginx kept port 80 and served /own.
    await pollUntil('the web pod to log the ClusterIP requests', () => logsOf('web', 'nginx'), (l) => /"GET \/ HTTP/.test(l), WAIT);
    await pollUntil("the pod's own nginx to serve", () => logsOf('client', 'nginx'), (l) => /"GET \/own HTTP/.test(l), WAIT);
    expect(await logsOf('web', 'nginx')).not.toContain('/own');
    expect(await logsOf('client', 'nginx')).not.toMatch(/"GET \/ HTTP/);
    expect(directory.directory.connections).toBe(1);
  });
});

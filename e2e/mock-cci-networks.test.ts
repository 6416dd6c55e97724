// The mock CCI namespace's Networks in the isolated runtime: one bridge per Network, forwarding
// on the bridges only (one VPC), so a pod on Network a reaches a pod on Network b through the
// host and b's pod sees a's pod IP as its peer (nothing rewrites the source). Needs root.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeIsolated } from './support/isolated.ts';
import { CciClient } from '../src/cci/client.ts';
import { CCI_NETWORK_ANNOTATION, type CciPod } from '../src/cci/types.ts';
import { instanceTag } from '../src/mock-cci/instance.ts';
import { startMockCci, type MockCci } from './support/burst-node.ts';
import { cciLogs, cciPod } from './support/pods.ts';
import { pollUntil } from './support/poll.ts';

// Two neighbouring /24s of 198.18.0.0/15, away from the local environment's.
const third = 2 * (50 + Math.floor(Math.random() * 60));
const A = `198.18.${third}.0/24`;
const B = `198.18.${third + 1}.0/24`;
const PORT = 7070;

let tmp: string;
let mock: MockCci | undefined;
let cci: CciClient;
const WAIT = { timeoutMs: 30_000, context: () => `mock logs: ${mock?.logs().slice(-2000)}` };

const logsOf = (name: string, container: string): Promise<string> => cciLogs(cci, name, container);

const onNetwork = (pod: CciPod, network: string): CciPod => ({
  ...pod, metadata: { ...pod.metadata, annotations: { ...pod.metadata.annotations, [CCI_NETWORK_ANNOTATION]: network } },
});

const running = (name: string) => pollUntil(`${name} to run`, () => cci.getPod(name), (p) => p.status?.phase === 'Running' && !!p.status.podIP, WAIT);

/** The instance's bridges, a's first (src/mock-cci/runtime/netns.ts names them). */
const bridges = (): string[] => {
  const tag = instanceTag(path.join(tmp, 'state'));
  return [`blbr-${tag}`, `blbr-${tag}-1`];
};
const forwarding = (dev: string): string => readFileSync(`/proc/sys/net/ipv4/conf/${dev}/forwarding`, 'utf8').trim();

describeIsolated('the mock CCI\'s Networks (isolated runtime)', () => {
  beforeAll(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), 'bl-nets-'));
    mock = await startMockCci({ subnet: `a=${A},b=${B}`, args: ['--runtime=isolated', `--state-dir=${path.join(tmp, 'state')}`] });
    cci = new CciClient({ endpoint: mock.url, token: mock.token, namespace: 'default', timeoutMs: 10_000 });
  });

  afterAll(async () => {
    await cci?.close();
    await mock?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('a pod on Network a reaches a pod on Network b, which sees a\'s pod IP (no NAT), with forwarding on the bridges only', async () => {
    const globalForwarding = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
    // b's pod answers every connection with the peer address it sees, and logs it.
    const serve = `require('net').createServer((s) => { console.log('peer=' + s.remoteAddress); s.end('seen=' + s.remoteAddress + '\\n'); }).listen(${PORT}, '0.0.0.0')`;
    await cci.createPod(onNetwork(cciPod('server', [{ name: 'srv', image: 'node:24', command: [process.execPath, '-e', serve], ports: [{ containerPort: PORT }] }]), 'b'));
    const server = await running('server');
    const serverIP = server.status!.podIP!;
    expect(serverIP.startsWith(B.slice(0, B.lastIndexOf('.')))).toBe(true);

    const dial = `setInterval(() => { const s = require('net').connect(${PORT}, '${serverIP}'); s.setTimeout(1000, () => s.destroy()); ` +
      `s.on('data', (d) => process.stdout.write(String(d))); s.on('error', (e) => console.log('error=' + e.code)); }, 500)`;
    await cci.createPod(onNetwork(cciPod('client', [{ name: 'cli', image: 'node:24', command: [process.execPath, '-e', dial] }]), 'a'));
    const client = await running('client');
    const clientIP = client.status!.podIP!;
    expect(clientIP.startsWith(A.slice(0, A.lastIndexOf('.')))).toBe(true);

    await pollUntil('the client to be answered', () => logsOf('client', 'cli'), (l) => l.includes('seen='), WAIT);
    expect(await logsOf('client', 'cli')).toContain(`seen=${clientIP}\n`);
    expect(await logsOf('server', 'srv')).toContain(`peer=${clientIP}\n`);
    expect((await logsOf('server', 'srv')).match(/peer=\S+/g)!.every((p) => p === `peer=${clientIP}`)).toBe(true);
    // One VPC through the bridges, never the host-wide switch.
    expect(bridges().map(forwarding)).toEqual(['1', '1']);
    expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8')).toBe(globalForwarding);
    expect(execFileSync('ip', ['-o', '-4', 'addr', 'show', 'dev', bridges()[1]!], { encoding: 'utf8' })).toContain(`${B.replace(/0\/24$/, '1')}/24`);
  });

  it('stopping the mock removes every Network\'s bridge', async () => {
    await mock!.stop();
    const links = execFileSync('ip', ['-o', 'link', 'show', 'type', 'bridge'], { encoding: 'utf8' });
    for (const b of bridges()) expect(links).not.toContain(`${b}:`);
  });
});

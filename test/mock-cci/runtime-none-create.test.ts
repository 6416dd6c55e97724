// `--runtime=none` is a backend that does no work (bench/peer.ts): a pod's creation answers it
// Running, as virtual-kubelet's in-memory provider reports a pod it was given, and its watch's
// later reads show the same. A pod whose start never ends here (a postStart hook that nothing
// runs) still gets its answer: the wait is bounded.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CciClient } from '../../src/cci/client.ts';
import type { CciPod } from '../../src/cci/types.ts';
import { createLogger } from '../../src/log/logger.ts';
import { startMockCci, type MockCci } from '../../src/mock-cci/instance.ts';

let mock: MockCci;
let cci: CciClient;

beforeEach(async () => {
  mock = await startMockCci({
    address: '127.0.0.1', port: 0, token: 't', namespace: 'burst', networks: [{ name: 'default', cidr: '198.18.0.0/24' }],
    quota: { cpu: '100', memory: '100Gi', pods: 100, ephemeralStorage: '1Ti' },
    runtime: 'none', stateDir: '', crashLoopBaseMs: 10_000, faults: { latencyMs: 0, errorRate: 0, dropWatchAfterMs: 0, seed: 1 },
    log: createLogger('silent', 'test'),
  });
  cci = new CciClient({ endpoint: mock.url, token: 't', namespace: 'burst' });
});

afterEach(async () => {
  await cci.close();
  await mock.close();
});

const pod = (name: string, postStart = false): CciPod => ({
  apiVersion: 'cci/v2',
  kind: 'Pod',
  metadata: { name },
  spec: {
    restartPolicy: 'Always', hostname: name, dnsConfig: { nameservers: ['198.19.0.10'], searches: [], options: [] },
    containers: [{
      name: 'c', image: 'busybox', command: ['sleep', '3600'], resources: { requests: { cpu: '100m', memory: '128Mi' } },
      ...(postStart ? { lifecycle: { postStart: { exec: { command: ['true'] } } } } : {}),
    }],
  },
});

describe('the mock CCI with runtime none', () => {
  it('answers a creation with the pod Running, its container started and its IP', async () => {
    const created = await cci.createPod(pod('a'));
    expect(created.status?.phase).toBe('Running');
    expect(created.status?.podIP).toMatch(/^198\.18\.0\./);
    expect(created.status?.containerStatuses?.[0]?.state?.running?.startedAt).toBeDefined();
    expect((await cci.getPod('a')).status?.phase).toBe('Running');
  });

  it('answers, its container running, when a postStart hook keeps the start from ending', async () => {
    const created = await cci.createPod(pod('hooked', true));
    expect(created.status?.phase).toBe('Running');
    expect(created.status?.containerStatuses?.[0]?.state?.running).toBeDefined();
  });
});

// `--runtime=none` is a backend that does no work (bench/peer.ts): a pod's creation answers it
// Running, as virtual-kubelet's in-memory provider reports a pod it was given, and its watch's
// later reads show the same. A pod whose start never ends here (a postStart hook that nothing
// runs) still gets its answer: the wait is bounded.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CciClient } from '../../src/cci/client.ts';
import type { CciPod } from '../../src/cci/types.ts';
import { startInProcessMock, type InProcessMock } from './support/in-process-mock.ts';

let env: InProcessMock;
let cci: CciClient;

beforeEach(async () => {
  env = await startInProcessMock();
  cci = env.cci;
});

afterEach(() => env.close());

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

import { describe, expect, it } from 'vitest';
import { CciError } from '../../src/cci/client.ts';
import type { CciPodStats } from '../../src/cci/types.ts';
import { cciKubeletBackend } from '../../src/cci-provider/kubelet-backend.ts';
import type { Pod } from '../../src/kube/wire.ts';
import { BackendError } from '../../src/provider/kubelet/backend.ts';
import { cciPodName } from '../../src/cci-provider/naming.ts';

const pod: Pod = { metadata: { namespace: 'ns', name: 'web', uid: 'u1' }, spec: { containers: [{ name: 'main', image: 'nginx' }] } };
const source = { pods: () => [pod], findPod: () => pod };

function backend(over: Partial<Parameters<typeof cciKubeletBackend>[0]>) {
  const unused = () => {
    throw new Error('not called');
  };
  return cciKubeletBackend({ logs: unused, exec: unused, attach: unused, portForward: unused, stats: unused, ...over }, source);
}

describe('cciKubeletBackend', () => {
  it('maps CCI usage to the Kubernetes pods by CCI pod name, hiding the sidecar and foreign pods', async () => {
    const stats: CciPodStats[] = [
      {
        name: cciPodName('ns', 'web', 'u1'), namespace: 'default', startTime: 't0',
        containers: [
          { name: 'burstlet-network', usageCoreNanoSeconds: 1, workingSetBytes: 1 },
          { name: 'main', usageCoreNanoSeconds: 5, workingSetBytes: 7 },
        ],
      },
      { name: 'someone-else', namespace: 'default', containers: [] },
    ];
    const usage = await backend({ stats: async () => stats }).stats();
    expect(usage).toEqual([{ namespace: 'ns', name: 'web', uid: 'u1', startTime: 't0', containers: [{ name: 'main', usageCoreNanoSeconds: 5, workingSetBytes: 7 }] }]);
  });

  it.each([
    [404, 404, /has no CCI pod/],
    [400, 400, /container main is not running/],
    [503, 502, /CCI failed/],
  ])('CCI %i becomes kubelet %i', async (cciStatus, kubeletStatus, message) => {
    const b = backend({ logs: async () => { throw new CciError(cciStatus, 'X', 'container main is not running'); } });
    const err = await b.logs(pod, 'main', { follow: false, previous: false, timestamps: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).status).toBe(kubeletStatus);
    expect((err as Error).message).toMatch(message);
  });

  it('asks CCI for the container named in the path, whatever the request carries', async () => {
    const seen: unknown[] = [];
    const b = backend({ logs: async (name, o) => { seen.push(name, o); throw new CciError(404, 'NotFound', 'x'); } });
    await b.logs(pod, 'main', { follow: true, previous: false, timestamps: true, tailLines: 5 }).catch(() => undefined);
    expect(seen).toEqual([cciPodName('ns', 'web', 'u1'), { container: 'main', follow: true, previous: false, timestamps: true, tailLines: 5 }]);
  });

  it('exec goes to the container of the path even when the parsed request names none (regression)', async () => {
    const seen: unknown[] = [];
    const b = backend({ exec: (name, o) => { seen.push(name, o); throw new CciError(404, 'NotFound', 'x'); } });
    const request = { container: null, command: ['ls'], stdin: false, stdout: true, stderr: true, tty: false };
    await b.exec(pod, 'main', ['ls'], request).catch(() => undefined);
    expect(seen[1]).toEqual({ container: 'main', command: ['ls'], stdin: false, stdout: true, stderr: true, tty: false });
  });
});

// The mock's Networks through its API, as burstlet node sees them: the pod service gives each pod
// an IP of the Network its cci.io/network annotation names (the default without one), and the
// networks / network routes show every Network and the default. Runs in-process, runtime none.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CciClient, CciError } from '../../src/cci/client.ts';
import { CCI_AUTH_HEADER, CCI_NETWORK_ANNOTATION, cciPaths, type CciNetworkList, type CciPod } from '../../src/cci/types.ts';
import type { MockCci } from '../../src/mock-cci/instance.ts';
import { cidrsOverlap, parseCidr } from '../../src/net/cidr.ts';
import { startInProcessMock, type InProcessMock } from './support/in-process-mock.ts';

const NETWORKS = [{ name: 'default', cidr: '198.18.0.0/24' }, { name: 'fixed', cidr: '198.18.1.0/30' }];

let env: InProcessMock;
let mock: MockCci;
let cci: CciClient;

beforeEach(async () => {
  env = await startInProcessMock(NETWORKS);
  ({ mock, cci } = env);
});

afterEach(() => env.close());

const pod = (name: string, network?: string): CciPod => ({
  apiVersion: 'cci/v2',
  kind: 'Pod',
  metadata: { name, ...(network === undefined ? {} : { annotations: { [CCI_NETWORK_ANNOTATION]: network } }) },
  spec: {
    restartPolicy: 'Always', hostname: name, dnsConfig: { nameservers: ['198.19.0.10'], searches: [], options: [] },
    containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '100m', memory: '128Mi' } } }],
  },
});

const refusal = async (p: Promise<unknown>): Promise<CciError> => {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(CciError);
  return err as CciError;
};

const free = async (name: string): Promise<number | undefined> => (await cci.networks()).find((n) => n.metadata.name === name)?.status.freeIPs;

const gone = async (name: string): Promise<void> => {
  for (let i = 0; i < 200; i++) {
    if (!(await cci.listPods()).items.some((p) => p.metadata.name === name)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`pod ${name} was not deleted`);
};

describe('the mock CCI namespace\'s Networks', () => {
  it('GET networks lists every Network, the default first; GET network is the default', async () => {
    expect(await cci.networks()).toEqual([
      { apiVersion: 'cci/v2', kind: 'Network', metadata: { name: 'default', namespace: 'burst' },
        spec: { cidr: '198.18.0.0/24', gateway: '198.18.0.1' }, status: { totalIPs: 253, usedIPs: 0, freeIPs: 253, phase: 'Active' } },
      { apiVersion: 'cci/v2', kind: 'Network', metadata: { name: 'fixed', namespace: 'burst' },
        spec: { cidr: '198.18.1.0/30', gateway: '198.18.1.1' }, status: { totalIPs: 1, usedIPs: 0, freeIPs: 1, phase: 'Active' } },
    ]);
    const list = await (await fetch(new URL(cciPaths.networks('burst'), mock.url), { headers: { [CCI_AUTH_HEADER]: 't' } })).json() as CciNetworkList;
    expect([list.apiVersion, list.kind, list.items.map((n) => n.metadata.name)]).toEqual(['cci/v2', 'NetworkList', ['default', 'fixed']]);
    expect((await cci.network()).metadata.name).toBe('default');
  });

  it('a pod gets an IP of the Network its annotation names, the default without one, and the counts follow', async () => {
    const plain = await cci.createPod(pod('plain'));
    const fixed = await cci.createPod(pod('pinned', 'fixed'));
    expect(cidrsOverlap(parseCidr(`${plain.status!.podIP!}/32`), parseCidr('198.18.0.0/24'))).toBe(true);
    expect(fixed.status!.podIP).toBe('198.18.1.2');
    const byName = Object.fromEntries((await cci.networks()).map((n) => [n.metadata.name, n.status]));
    expect(byName['default']).toMatchObject({ usedIPs: 1, freeIPs: 252 });
    expect(byName['fixed']).toMatchObject({ usedIPs: 1, freeIPs: 0 });
  });

  it('refuses an unknown Network at create, naming it and the namespace\'s Networks', async () => {
    const err = await refusal(cci.createPod(pod('lost', 'nope')));
    expect(err.status).toBe(422);
    expect(err.message).toContain('"nope"');
    expect(err.message).toContain('the namespace\'s Networks are default, fixed');
    expect((await cci.listPods()).items).toEqual([]);
  });

  it('one Network out of IPs refuses naming it while the other still allocates; a deleted pod\'s IP goes back to its own Network', async () => {
    await cci.createPod(pod('first', 'fixed'));
    const full = await refusal(cci.createPod(pod('second', 'fixed')));
    expect(full.status).toBe(409);
    expect(full.message).toMatch(/Network fixed: no free IP address in subnet 198\.18\.1\.0\/30/);
    expect((await cci.createPod(pod('elsewhere'))).status!.podIP).toMatch(/^198\.18\.0\./);
    const defaultFree = await free('default');

    await cci.deletePod('first', 0);
    await gone('first');
    expect(await free('fixed')).toBe(1);
    expect(await free('default')).toBe(defaultFree);
    expect((await cci.createPod(pod('again', 'fixed'))).status!.podIP).toBe('198.18.1.2');
  });
});

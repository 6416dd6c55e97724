// The mock's chunked lists (limit/continue), as Kubernetes and CCI serve them: name order, every
// page at the first page's resourceVersion, a token refused when malformed (400) or when the
// watch history no longer reaches its version (410); then through the server, a client paging
// and watching from the first page's version hears of what changed while it paged.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CciClient, CciError } from '../../src/cci/client.ts';
import type { CciPod, CciWatchEvent } from '../../src/cci/types.ts';
import { listPage } from '../../src/mock-cci/list-pages.ts';
import { CciApiError } from '../../src/mock-cci/status.ts';
import { startInProcessMock, type InProcessMock } from './support/in-process-mock.ts';

const pod = (name: string): CciPod => ({
  apiVersion: 'cci/v2', kind: 'Pod', metadata: { name },
  spec: { restartPolicy: 'Always', hostname: name, dnsConfig: { nameservers: ['198.19.0.10'], searches: [], options: [] }, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '1'] }] },
});
const names = (items: CciPod[]): string[] => items.map((p) => p.metadata.name);

describe('listPage', () => {
  const pods = ['e', 'a', 'd', 'b', 'c'].map(pod);

  it('without a limit (or 0) gives every pod in name order, no token', () => {
    expect(listPage(pods, '9', 0, undefined, undefined)).toEqual({ items: pods.slice().sort((x, y) => (x.metadata.name < y.metadata.name ? -1 : 1)), resourceVersion: '9' });
    expect(listPage(pods, '9', 0, 0, undefined).continue).toBeUndefined();
  });

  it('pages through in name order, every page at the first page\'s version, the last without a token', () => {
    const first = listPage(pods, '9', 0, 2, undefined);
    expect([names(first.items), first.resourceVersion]).toEqual([['a', 'b'], '9']);
    const second = listPage(pods, '12', 0, 2, first.continue);
    expect([names(second.items), second.resourceVersion]).toEqual([['c', 'd'], '9']);
    const last = listPage(pods, '15', 0, 2, second.continue);
    expect([names(last.items), last.resourceVersion, last.continue]).toEqual([['e'], '9', undefined]);
  });

  it('goes on after the last name served even when that pod is gone, and shows pods added after it', () => {
    const first = listPage(pods, '9', 0, 2, undefined);
    const changed = [...pods.filter((p) => p.metadata.name !== 'b'), pod('bb')];
    expect(names(listPage(changed, '11', 0, 10, first.continue).items)).toEqual(['bb', 'c', 'd', 'e']);
  });

  it.each([['not base64 json', 'zz%%'], ['a token of another shape', Buffer.from('{"rv":"x"}').toString('base64url')]])('refuses %s with 400', (_what, token) => {
    const err = (() => { try { listPage(pods, '9', 0, 2, token); } catch (e) { return e; } })() as CciApiError;
    expect(err).toBeInstanceOf(CciApiError);
    expect(err.code).toBe(400);
  });

  it('refuses a token whose version the watch history no longer reaches with 410, to list again', () => {
    const first = listPage(pods, '9', 0, 2, undefined);
    const err = (() => { try { listPage(pods, '30', 10, 2, first.continue); } catch (e) { return e; } })() as CciApiError;
    expect([err.code, err.reason]).toEqual([410, 'Expired']);
  });
});

describe('the mock CCI\'s chunked pod list', () => {
  let env: InProcessMock;
  let cci: CciClient;
  beforeEach(async () => {
    env = await startInProcessMock();
    cci = env.cci;
  });
  afterEach(() => env.close());

  it('pages with limit/continue, and a watch from the first page\'s version hears of a pod made while paging', async () => {
    for (const n of ['p1', 'p2', 'p3']) await cci.createPod(pod(n));
    const first = await cci.listPods({ limit: 2 });
    expect(names(first.items)).toEqual(['p1', 'p2']);
    await cci.createPod(pod('p0'));
    const rest = await cci.listPods({ limit: 2, continue: first.metadata.continue! });
    expect([names(rest.items), rest.metadata.resourceVersion, rest.metadata.continue]).toEqual([['p3'], first.metadata.resourceVersion, undefined]);
    const events: CciWatchEvent[] = [];
    const stop = new AbortController();
    const watching = cci.watchPods(first.metadata.resourceVersion, (e) => events.push(e), stop.signal);
    for (let i = 0; i < 100 && !events.some((e) => e.type === 'ADDED' && (e.object as CciPod).metadata.name === 'p0'); i++) await new Promise((r) => setTimeout(r, 10));
    stop.abort();
    await watching;
    expect(events.some((e) => e.type === 'ADDED' && (e.object as CciPod).metadata.name === 'p0')).toBe(true);
  });

  it('refuses a bad limit or token with 400', async () => {
    for (const bad of [{ limit: -1 }, { continue: 'nope' }]) {
      const err = await cci.listPods(bad).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(CciError);
      expect((err as CciError).status).toBe(400);
    }
  });
});

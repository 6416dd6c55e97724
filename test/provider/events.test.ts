import { describe, expect, it, vi } from 'vitest';
import { EventRecorder, type EventTarget } from '../../src/provider/events.ts';
import { KubeError, type RequestOptions } from '../../src/kube/client.ts';
import { createLogger } from '../../src/log/logger.ts';

interface Sent {
  method: string;
  path: string;
  body: { reason?: string; count?: number };
}

/** A fake API client whose requests stay open until released (PATCHes fail with `failPatch` when set). */
function fakeClient(fail: { failPatch?: number } = {}) {
  const sent: Sent[] = [];
  const open: (() => void)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const client = {
    request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
      sent.push({ method, path, body: opts.body as Sent['body'] });
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return new Promise<T>((resolve, reject) => open.push(() => {
        inFlight--;
        if (method === 'PATCH' && fail.failPatch) reject(new KubeError(fail.failPatch, 'NotFound', 'events not found'));
        else resolve(undefined as T);
      }));
    },
  };
  return { client, sent, open, maxInFlight: () => maxInFlight };
}

const pod = (i: number): EventTarget => ({ kind: 'Pod', namespace: 'ns', name: `p${i}`, uid: `u${i}` });
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Answers every request, including those sent because of earlier answers, until the recorder is idle. */
async function releaseAll(api: ReturnType<typeof fakeClient>, events: EventRecorder): Promise<void> {
  const flushed = events.flush();
  let done = false;
  void flushed.then(() => (done = true));
  while (!done) {
    for (const release of api.open.splice(0)) release();
    await tick();
  }
}

describe('EventRecorder', () => {
  it('sends a burst of events in order, a few at a time, and flush waits for all of them', async () => {
    const api = fakeClient();
    const events = new EventRecorder(api.client, { component: 'kubelet', host: 'node1' }, createLogger('silent', 'test'));
    for (let i = 0; i < 50; i++) events.record(pod(i), 'Normal', 'Started', `Started container c${i}`);
    let flushed = false;
    const flush = events.flush().then(() => (flushed = true));
    await tick();
    expect(api.sent.length).toBeLessThan(50);
    while (api.open.length > 0) {
      for (const release of api.open.splice(0)) release();
      await tick();
    }
    await flush;
    expect(flushed).toBe(true);
    expect(api.maxInFlight()).toBeLessThan(50);
    expect(api.sent.map((s) => s.path)).toEqual(Array.from({ length: 50 }, () => '/api/v1/namespaces/ns/events'));
    expect(api.sent.map((s) => (s.body as { involvedObject: { name: string } }).involvedObject.name)).toEqual(Array.from({ length: 50 }, (_, i) => `p${i}`));
  });

  it('bumps the count of a repeated event instead of posting another; repeats during its creation become one update', async () => {
    const api = fakeClient();
    const events = new EventRecorder(api.client, { component: 'kubelet', host: 'node1' }, createLogger('silent', 'test'));
    for (let i = 0; i < 3; i++) events.record(pod(1), 'Warning', 'BackOff', 'Back-off restarting failed container c');
    await releaseAll(api, events);
    expect(api.sent.map((s) => s.method)).toEqual(['POST', 'PATCH']);
    expect(api.sent[0]!.body).toMatchObject({ count: 1, source: { component: 'kubelet', host: 'node1' }, involvedObject: { kind: 'Pod', namespace: 'ns' } });
    expect(api.sent[1]!.body).toMatchObject({ count: 3 });
    expect(api.sent[1]!.path).toBe(`/api/v1/namespaces/ns/events/${(api.sent[0]!.body as { metadata: { name: string } }).metadata.name}`);
  });

  it('creates the event again when the one it would update is gone (expired)', async () => {
    const api = fakeClient({ failPatch: 404 });
    const events = new EventRecorder(api.client, { component: 'kubelet', host: 'node1' }, createLogger('silent', 'test'));
    events.record(pod(1), 'Warning', 'BackOff', 'm');
    await releaseAll(api, events);
    events.record(pod(1), 'Warning', 'BackOff', 'm');
    await releaseAll(api, events);
    expect(api.sent.map((s) => s.method)).toEqual(['POST', 'PATCH', 'POST']);
    expect(api.sent[2]!.body).toMatchObject({ count: 2 });
  });

  it('combines the eleventh and later different messages of one reason into one event', async () => {
    const api = fakeClient();
    const events = new EventRecorder(api.client, { component: 'deployment-controller' }, createLogger('silent', 'test'));
    for (let i = 0; i < 13; i++) events.record(pod(1), 'Normal', 'ScalingReplicaSet', `scaled to ${i}`);
    await releaseAll(api, events);
    const messages = api.sent.map((s) => `${s.method} ${String((s.body as { message?: string }).message)}`);
    expect(messages.slice(0, 10)).toEqual(Array.from({ length: 10 }, (_, i) => `POST scaled to ${i}`));
    // The three combined ones were recorded before it could be sent: one Event, counted 3, with the latest message.
    expect(messages.slice(10)).toEqual(['POST (combined from similar events): scaled to 12']);
    expect(api.sent[10]!.body.count).toBe(3);
  });

  it('files a node\'s events in the default namespace without an involvedObject namespace', async () => {
    const api = fakeClient();
    const events = new EventRecorder(api.client, { component: 'kubelet', host: 'node1' }, createLogger('silent', 'test'));
    events.record({ kind: 'Node', namespace: '', name: 'node1', uid: 'node1' }, 'Warning', 'MissingClusterDNS', 'm');
    await releaseAll(api, events);
    expect(api.sent[0]!.path).toBe('/api/v1/namespaces/default/events');
    expect((api.sent[0]!.body as { involvedObject: object }).involvedObject).not.toHaveProperty('namespace');
  });

  it('with a rate (the kubelet\'s --event-qps and --event-burst) sends the burst at once, then qps a second, and loses none', async () => {
    vi.useFakeTimers();
    try {
      const api = fakeClient();
      const events = new EventRecorder(api.client, { component: 'kubelet', host: 'node1' }, createLogger('silent', 'test'), Date.now, { qps: 10, burst: 3 });
      for (let i = 0; i < 8; i++) events.record(pod(i), 'Normal', 'Started', 'Started container c');
      const answer = async (): Promise<void> => {
        for (const release of api.open.splice(0)) release();
        await vi.advanceTimersByTimeAsync(0);
      };
      const after = async (ms: number): Promise<void> => {
        await vi.advanceTimersByTimeAsync(ms);
        await answer();
      };
      await answer();
      expect(api.sent).toHaveLength(3);
      await after(99);
      expect(api.sent).toHaveLength(3);
      await after(1);
      expect(api.sent).toHaveLength(4);
      await after(400);
      expect(api.sent).toHaveLength(8);
      expect(api.sent.map((s) => s.path.split('/').at(-1))).toEqual(Array(8).fill('events'));
    } finally {
      vi.useRealTimers();
    }
  });
});

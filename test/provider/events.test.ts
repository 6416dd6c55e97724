import { describe, expect, it } from 'vitest';
import { EventRecorder, type EventTarget } from '../../src/provider/events.ts';
import type { RequestOptions } from '../../src/kube/client.ts';
import { createLogger } from '../../src/log/logger.ts';

interface Sent {
  method: string;
  path: string;
  body: { reason?: string; count?: number };
}

/** A fake API client whose requests stay open until released. */
function fakeClient() {
  const sent: Sent[] = [];
  const open: (() => void)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const client = {
    request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
      sent.push({ method, path, body: opts.body as Sent['body'] });
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return new Promise<T>((resolve) => open.push(() => {
        inFlight--;
        resolve(undefined as T);
      }));
    },
  };
  return { client, sent, open, maxInFlight: () => maxInFlight };
}

const pod = (i: number): EventTarget => ({ kind: 'Pod', namespace: 'ns', name: `p${i}`, uid: `u${i}` });
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('EventRecorder', () => {
  it('sends a burst of events in order, a few at a time, and flush waits for all of them', async () => {
    const api = fakeClient();
    const events = new EventRecorder(api.client, 'node1', createLogger('silent', 'test'));
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

  it('bumps the count of a repeated event instead of posting another', async () => {
    const api = fakeClient();
    const events = new EventRecorder(api.client, 'node1', createLogger('silent', 'test'));
    events.record(pod(1), 'Warning', 'BackOff', 'Back-off restarting failed container c');
    events.record(pod(1), 'Warning', 'BackOff', 'Back-off restarting failed container c');
    const flush = events.flush();
    for (const release of api.open.splice(0)) release();
    await flush;
    expect(api.sent.map((s) => s.method)).toEqual(['POST', 'PATCH']);
    expect(api.sent[1]!.body.count).toBe(2);
  });
});

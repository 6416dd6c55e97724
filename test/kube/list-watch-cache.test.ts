import { describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.ts';
import { Reflector } from '../../src/kube/list-watch-cache.ts';
import type { Pod } from '../../src/kube/wire.ts';
import { createLogger } from '../../src/log/logger.ts';

const managed = [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:containers': {} } } }];
const pod = (name: string, rv: string): Pod => ({ metadata: { namespace: 'ns', name, resourceVersion: rv, managedFields: managed } });

describe('Reflector', () => {
  it('keeps no managedFields, from the list or from the watch', async () => {
    const client: Pick<KubeClient, 'request' | 'watch'> = {
      request: async <T>() => ({ metadata: { resourceVersion: '1' }, items: [pod('a', '1')] }) as T,
      watch: async <T>(_path: string, _query: Record<string, string | undefined>, onEvent: (type: string, obj: T) => void, signal: AbortSignal) => {
        onEvent('ADDED', pod('b', '2') as T);
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
      },
    };
    const seen: (Pod | undefined)[] = [];
    const r = new Reflector<Pod>(client, '/api/v1/pods', {}, (_key, obj) => seen.push(obj), createLogger('silent', 'test'));
    await r.start();
    await new Promise((resolve) => setImmediate(resolve));
    r.stop();
    expect(r.list().map((p) => p.metadata?.name).sort()).toEqual(['a', 'b']);
    expect(r.list().every((p) => p.metadata?.managedFields === undefined)).toBe(true);
    expect(seen.every((p) => p?.metadata?.managedFields === undefined)).toBe(true);
  });
});

// An in-memory stand-in for the API server's object paths: GET, POST (create), PUT (update with
// resourceVersion conflicts), PATCH (JSON merge patch, resourceVersion precondition) and DELETE,
// answering errors shaped as KubeClient's. Every write is recorded, and `delay` can hold a
// request back to let tests interleave concurrent writers.
import { KubeError } from '../../../src/kube/client.ts';

type Obj = { metadata?: { name?: string; resourceVersion?: string; [k: string]: unknown }; [k: string]: unknown };

export interface Write {
  method: string;
  path: string;
  body: unknown;
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export class FakeApi {
  readonly objects = new Map<string, Obj>();
  readonly writes: Write[] = [];
  #rv = 1;
  /** Awaited before each request is served (tests hold requests back with it). */
  delay: (method: string, path: string) => Promise<void> = async () => {};
  /** Makes the next matching request fail: return a KubeError to throw, or undefined. */
  fail: (method: string, path: string, body: unknown) => KubeError | undefined = () => undefined;

  put(path: string, obj: Obj): Obj {
    const stored = structuredClone({ ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.#rv) } });
    this.objects.set(path, stored);
    return stored;
  }

  get<T>(path: string): T | undefined {
    return this.objects.get(path) as T | undefined;
  }

  request = async <T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, opts: { body?: unknown; contentType?: string } = {}): Promise<T> => {
    await this.delay(method, path);
    const injected = this.fail(method, path, opts.body);
    if (injected) throw injected;
    const body = structuredClone(opts.body) as Obj | undefined;
    if (method !== 'GET') this.writes.push({ method, path, body });
    const current = this.objects.get(path);
    switch (method) {
      case 'GET':
        if (!current) throw new KubeError(404, 'NotFound', `${path} not found`);
        return structuredClone(current) as T;
      case 'POST': {
        const target = `${path}/${body?.metadata?.name}`;
        if (this.objects.has(target)) throw new KubeError(409, 'AlreadyExists', `${target} already exists`);
        return this.put(target, body!) as T;
      }
      case 'PUT':
        if (!current) throw new KubeError(404, 'NotFound', `${path} not found`);
        if (body?.metadata?.resourceVersion && body.metadata.resourceVersion !== current.metadata?.resourceVersion) throw new KubeError(409, 'Conflict', 'the object has been modified');
        return this.put(path, body!) as T;
      case 'PATCH': {
        if (!current) throw new KubeError(404, 'NotFound', `${path} not found`);
        const rv = body?.metadata?.resourceVersion;
        if (rv && rv !== current.metadata?.resourceVersion) throw new KubeError(409, 'Conflict', 'the object has been modified');
        return this.put(path, mergePatch(current, body) as Obj) as T;
      }
      case 'DELETE':
        if (!current) throw new KubeError(404, 'NotFound', `${path} not found`);
        this.objects.delete(path);
        return structuredClone(current) as T;
    }
  };
}

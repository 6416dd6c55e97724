// Shared builders for pod status tests (generic and CCI's).
import type { Pod } from '../../../src/kube/wire.ts';

/** The status context of a node at 10.0.0.1, at a fixed time. */
export const ctx = { nodeIP: '10.0.0.1', now: '2026-01-01T00:00:00Z' };

/** Pod ns/p (uid u1) with busybox containers of the given resources. */
export function pod(containers: { name: string; requests?: Record<string, string>; limits?: Record<string, string> }[], status?: Pod['status']): Pod {
  return {
    metadata: { name: 'p', namespace: 'ns', uid: 'u1' },
    spec: { containers: containers.map((c) => ({ name: c.name, image: 'busybox', resources: { requests: c.requests, limits: c.limits } })) },
    ...(status ? { status } : {}),
  };
}

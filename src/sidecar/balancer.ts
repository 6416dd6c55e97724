// Endpoint choice for one ClusterIP:port: round robin, or ClientIP session affinity with a
// timeout counted from the client's last connection (kube-proxy's "recent" match). The order
// returned is the order to dial in: a failed dial moves on to the next backend.
import type { Backend } from './rules.ts';

interface Affinity {
  backend: string;
  lastUsed: number;
}

const backendId = (b: Backend): string => `${b.address}|${b.port}`;
/** Above this many remembered clients, expired affinities are swept on the next choice. */
const AFFINITY_SWEEP_SIZE = 1024;

export class Balancer {
  #backends: Backend[] = [];
  #affinitySeconds: number | null = null;
  #next = 0;
  readonly #affinity = new Map<string, Affinity>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  get backends(): readonly Backend[] {
    return this.#backends;
  }

  update(backends: Backend[], affinitySeconds: number | null): void {
    this.#backends = backends;
    this.#affinitySeconds = affinitySeconds;
    if (affinitySeconds === null) this.#affinity.clear();
    const alive = new Set(backends.map(backendId));
    for (const [client, a] of this.#affinity) if (!alive.has(a.backend)) this.#affinity.delete(client);
  }

  /** Backends in the order to try for a new connection (or flow) from clientIP; empty → refuse. */
  order(clientIP: string): Backend[] {
    const n = this.#backends.length;
    if (n === 0) return [];
    const start = this.#next % n;
    this.#next = (start + 1) % n;
    const rotated = [...this.#backends.slice(start), ...this.#backends.slice(0, start)];
    const pinned = this.#pinned(clientIP);
    if (!pinned) return rotated;
    return [pinned, ...rotated.filter((b) => b !== pinned)];
  }

  /** Records the backend that accepted clientIP's connection: its affinity starts (or is refreshed) now. */
  connected(clientIP: string, backend: Backend): void {
    if (this.#affinitySeconds === null) return;
    if (this.#affinity.size >= AFFINITY_SWEEP_SIZE) this.#sweep();
    this.#affinity.set(clientIP, { backend: backendId(backend), lastUsed: this.#now() });
  }

  #pinned(clientIP: string): Backend | undefined {
    if (this.#affinitySeconds === null) return undefined;
    const a = this.#affinity.get(clientIP);
    if (!a) return undefined;
    if (this.#now() - a.lastUsed > this.#affinitySeconds * 1000) {
      this.#affinity.delete(clientIP);
      return undefined;
    }
    return this.#backends.find((b) => backendId(b) === a.backend);
  }

  #sweep(): void {
    const limit = (this.#affinitySeconds ?? 0) * 1000;
    const now = this.#now();
    for (const [client, a] of this.#affinity) if (now - a.lastUsed > limit) this.#affinity.delete(client);
  }
}

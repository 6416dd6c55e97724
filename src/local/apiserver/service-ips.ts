// ClusterIP allocation from 198.19.0.0/16. Like kube-apiserver (ServiceIPStaticSubrange),
// dynamic allocations come from the upper part of the range so that well-known addresses
// in the lower band (198.19.0.10 for kube-dns) stay free for explicit requests.

const BASE = ((198 << 24) >>> 0) + (19 << 16);
const SIZE = 1 << 16;
const STATIC_BAND = 256;

function toIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function offsetOf(ip: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  const n = ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
  const off = n - BASE;
  return off >= 0 && off < SIZE ? off : undefined;
}

export class ServiceIpAllocator {
  private readonly used = new Set<number>();
  private next = STATIC_BAND;

  /** Allocates `requested` (or any free address when empty); returns the IP or why it cannot. */
  allocate(requested: string): string | { error: string } {
    if (requested !== '') {
      const off = offsetOf(requested);
      if (off === undefined || off === 0 || off === SIZE - 1) {
        return { error: 'failed to allocate IP ' + requested + ': provided IP is not in the valid range. The range of valid IPs is 198.19.0.0/16' };
      }
      if (this.used.has(off)) return { error: 'failed to allocate IP ' + requested + ': provided IP is already allocated' };
      this.used.add(off);
      return requested;
    }
    for (let tries = 0; tries < SIZE; tries++) {
      const off = this.next;
      this.next = this.next + 1 >= SIZE - 1 ? STATIC_BAND : this.next + 1;
      // Addresses ending in .0 or .255 are valid but confuse people and some tools.
      if (!this.used.has(off) && (off & 255) !== 0 && (off & 255) !== 255) {
        this.used.add(off);
        return toIp(BASE + off);
      }
    }
    return { error: 'range is full' };
  }

  release(ip: unknown): void {
    const off = typeof ip === 'string' ? offsetOf(ip) : undefined;
    if (off !== undefined) this.used.delete(off);
  }
}

// IPv4 address management for one subnet: the network address, the gateway (.1) and the
// broadcast address are never handed out; released addresses go back to the pool so that
// deleting pods never leaks addresses. Allocation prefers addresses not used recently, so a
// freshly released IP is not immediately reused by a different pod.

import { intToIp, ipToInt, parseCidr } from '../net/cidr.ts';

export interface Subnet {
  cidr: string;
  network: number;
  prefix: number;
  gateway: string;
  /** Usable pod addresses (all hosts except the gateway). */
  size: number;
}

/** Parses "a.b.c.d/p" (p 16-30); the address is normalised to the network address. */
export function parseSubnet(text: string): Subnet {
  const { cidr, network, prefix } = parseCidr(text);
  if (prefix < 16 || prefix > 30) throw new Error(`prefix /${prefix} is outside /16-/30`);
  const total = 2 ** (32 - prefix);
  return { cidr, network, prefix, gateway: intToIp(network + 1), size: total - 3 };
}

export class IpExhaustedError extends Error {
  override name = 'IpExhaustedError';
}

export class Ipam {
  readonly subnet: Subnet;
  /** Free host offsets in FIFO order: released addresses go to the back. */
  #free: number[] = [];
  #head = 0;
  #used = new Set<number>();

  constructor(subnet: Subnet) {
    this.subnet = subnet;
    for (let offset = 2; offset < subnet.size + 2; offset++) this.#free.push(offset);
  }

  get usedCount(): number {
    return this.#used.size;
  }

  get freeCount(): number {
    return this.subnet.size - this.#used.size;
  }

  allocate(): string {
    while (this.#head < this.#free.length) {
      const offset = this.#free[this.#head++]!;
      if (this.#head > 1024 && this.#head * 2 > this.#free.length) {
        this.#free = this.#free.slice(this.#head);
        this.#head = 0;
      }
      if (this.#used.has(offset)) continue;
      this.#used.add(offset);
      return intToIp(this.subnet.network + offset);
    }
    throw new IpExhaustedError(`no free IP address in subnet ${this.subnet.cidr} (${this.#used.size} in use)`);
  }

  /** Marks a specific address as used (restoring state); false if it is outside the pool or taken. */
  claim(ip: string): boolean {
    const offset = ipToInt(ip) - this.subnet.network;
    if (offset < 2 || offset >= this.subnet.size + 2 || this.#used.has(offset)) return false;
    this.#used.add(offset);
    return true;
  }

  release(ip: string): void {
    const offset = ipToInt(ip) - this.subnet.network;
    if (this.#used.delete(offset)) this.#free.push(offset);
  }

  isUsed(ip: string): boolean {
    return this.#used.has(ipToInt(ip) - this.subnet.network);
  }
}

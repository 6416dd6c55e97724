// IPv4 addresses and CIDR ranges as numbers: parsing, and whether two ranges share an address
// (a CCI subnet must not overlap the cluster's Service or pod ranges).

export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new Error(`${JSON.stringify(ip)} is not an IPv4 address`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new Error(`${JSON.stringify(ip)} is not an IPv4 address`);
    n = n * 256 + Number(p);
  }
  return n;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface Cidr {
  /** Normalised: the network address, e.g. 198.18.0.0/24. */
  cidr: string;
  network: number;
  prefix: number;
}

/** Parses "a.b.c.d/p" (p 0-32); the address is normalised to the network address. */
export function parseCidr(text: string): Cidr {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  if (!m || Number(m[2]) > 32) throw new Error(`${JSON.stringify(text)} is not an IPv4 CIDR such as 198.18.0.0/24`);
  const prefix = Number(m[2]);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const network = (ipToInt(m[1]!) & mask) >>> 0;
  return { cidr: `${intToIp(network)}/${prefix}`, network, prefix };
}

/** Two ranges share an address exactly when one contains the other's network address. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  const shorter = Math.min(a.prefix, b.prefix);
  const mask = shorter === 0 ? 0 : (0xffffffff << (32 - shorter)) >>> 0;
  return ((a.network & mask) >>> 0) === ((b.network & mask) >>> 0);
}

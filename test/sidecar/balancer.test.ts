import { describe, expect, it } from 'vitest';
import { Balancer } from '../../src/sidecar/balancer.ts';

const b = (n: number) => ({ address: `198.18.0.${n}`, port: 80 });
const first = (bal: Balancer, client: string): number => Number(bal.order(client)[0]!.address.split('.')[3]);

describe('Balancer', () => {
  it('round robins, and lists every other backend after the first for failover', () => {
    const bal = new Balancer();
    bal.update([b(1), b(2), b(3)], null);
    expect([1, 2, 3, 4, 5, 6].map(() => first(bal, 'c'))).toEqual([1, 2, 3, 1, 2, 3]);
    expect(bal.order('c').map((x) => x.address)).toEqual(['198.18.0.1', '198.18.0.2', '198.18.0.3']);
    expect(bal.order('c').map((x) => x.address)).toEqual(['198.18.0.2', '198.18.0.3', '198.18.0.1']);
  });

  it('no backends: nothing to dial', () => {
    const bal = new Balancer();
    bal.update([], 10);
    expect(bal.order('c')).toEqual([]);
  });

  it('ClientIP affinity pins a client to its backend until the timeout since its last connection', () => {
    let now = 0;
    const bal = new Balancer(() => now);
    bal.update([b(1), b(2), b(3)], 10);
    bal.order('x'); // moves the round robin past backend 1
    const pinned = bal.order('a')[0]!;
    bal.connected('a', pinned);
    for (let i = 0; i < 5; i++) {
      now += 9_000; // each connection refreshes the affinity
      expect(bal.order('a')[0]).toEqual(pinned);
      bal.connected('a', pinned);
    }
    now += 10_001;
    const after = [1, 2, 3].map(() => first(bal, 'a'));
    expect(new Set(after).size).toBe(3); // expired: back to round robin
  });

  it('a pinned backend that leaves the Service unpins its clients', () => {
    const bal = new Balancer(() => 0);
    bal.update([b(1), b(2)], 100);
    bal.connected('a', b(2));
    expect(first(bal, 'a')).toBe(2);
    bal.update([b(1), b(3)], 100);
    expect([first(bal, 'a'), first(bal, 'a')].sort()).toEqual([1, 3]);
  });

  it('turning affinity off forgets the pins', () => {
    const bal = new Balancer(() => 0);
    bal.update([b(1), b(2)], 100);
    bal.connected('a', b(2));
    bal.update([b(1), b(2)], null);
    expect([first(bal, 'a'), first(bal, 'a')].sort()).toEqual([1, 2]);
  });
});

import { describe, expect, it } from 'vitest';
import { decodeMessage, DnsFormatError, encodeForUdp, encodeMessage, TYPE, udpLimit, type Message, type ResourceRecord } from '../../../src/local/dns/wire.ts';

const header = { id: 0x1234, qr: true, opcode: 0, aa: true, tc: false, rd: true, ra: true, rcode: 3 };

function message(answers: ResourceRecord[], extra: Partial<Message> = {}): Message {
  return { header, questions: [{ name: 'web.default.svc.cluster.local.', type: TYPE.A, class: 1 }], answers, authorities: [], additionals: [], ...extra };
}

const rr = (type: number, data: ResourceRecord['data'], name = 'web.default.svc.cluster.local.'): ResourceRecord => ({ name, type, class: 1, ttl: 30, data });

describe('DNS wire codec', () => {
  it.each<[string, ResourceRecord]>([
    ['A', rr(TYPE.A, { kind: 'A', address: '198.19.0.10' })],
    ['AAAA', rr(TYPE.AAAA, { kind: 'AAAA', address: 'fd00::1:0:0:5' })],
    ['AAAA all zero', rr(TYPE.AAAA, { kind: 'AAAA', address: '::' })],
    ['AAAA no zero run', rr(TYPE.AAAA, { kind: 'AAAA', address: '2001:db8:1:2:3:4:5:6' })],
    ['CNAME', rr(TYPE.CNAME, { kind: 'CNAME', target: 'example.invalid.' })],
    ['SRV', rr(TYPE.SRV, { kind: 'SRV', priority: 0, weight: 50, port: 8080, target: 'a.web.default.svc.cluster.local.' })],
    ['SOA', rr(TYPE.SOA, { kind: 'SOA', mname: 'ns.dns.cluster.local.', rname: 'hostmaster.cluster.local.', serial: 4_000_000_000, refresh: 7200, retry: 1800, expire: 86400, minimum: 5 })],
    ['unknown type kept raw', rr(99, { kind: 'raw', bytes: Uint8Array.from([1, 2, 3]) })],
  ])('round-trips %s', (_name, record) => {
    const msg = message([record], { authorities: [record] });
    expect(decodeMessage(encodeMessage(msg))).toEqual(msg);
  });

  it('round-trips header flags and an OPT record', () => {
    const msg = message([], { header: { id: 7, qr: false, opcode: 0, aa: false, tc: true, rd: false, ra: false, rcode: 0 },
      additionals: [{ name: '.', type: TYPE.OPT, class: 4096, ttl: 0, data: { kind: 'raw', bytes: new Uint8Array() } }] });
    const decoded = decodeMessage(encodeMessage(msg));
    expect(decoded).toEqual(msg);
    expect(udpLimit(decoded)).toBe(4096);
  });

  it('compresses repeated names and reads the pointers back', () => {
    const answers = [rr(TYPE.A, { kind: 'A', address: '198.18.0.1' }), rr(TYPE.A, { kind: 'A', address: '198.18.0.2' })];
    const wire = encodeMessage(message(answers));
    // header 12 + question (31-byte name + 4) + 2 answers each (2-byte pointer + 10 + 4)
    expect(wire.length).toBe(12 + 31 + 4 + 2 * 16);
    expect(decodeMessage(wire).answers).toEqual(answers);
  });

  it('decodes a hand-made message with a pointer into the middle of a name', () => {
    const wire = Buffer.from([
      0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
      3, 0x77, 0x77, 0x77, 7, ...Buffer.from('example'), 3, ...Buffer.from('org'), 0, 0, 1, 0, 1,
      // answer owner: "mail" + pointer to "example.org" at offset 16
      4, ...Buffer.from('mail'), 0xc0, 16, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 18, 0, 9,
    ]);
    const msg = decodeMessage(wire);
    expect(msg.questions[0]!.name).toBe('www.example.org.');
    expect(msg.answers[0]).toEqual({ name: 'mail.example.org.', type: 1, class: 1, ttl: 60, data: { kind: 'A', address: '198.18.0.9' } });
  });

  it.each<[string, number[]]>([
    ['short header', [0, 1, 0]],
    ['pointer loop', [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]],
    ['forward pointer', [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 20, 0, 1, 0, 1]],
    ['label past the end', [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 9, 0x61, 0]],
    ['question count larger than the message', [0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1]],
  ])('rejects a malformed message: %s', (_name, bytes) => {
    expect(() => decodeMessage(Buffer.from(bytes))).toThrow(DnsFormatError);
  });

  it('sets TC and drops the records when a UDP answer exceeds the limit', () => {
    const many = Array.from({ length: 40 }, (_, i) => rr(TYPE.A, { kind: 'A', address: `198.18.1.${i}` }));
    const msg = message(many);
    expect(encodeMessage(msg).length).toBeGreaterThan(512);
    const udp = decodeMessage(encodeForUdp(msg, 512));
    expect(udp.header.tc).toBe(true);
    expect(udp.answers).toEqual([]);
    expect(udp.questions).toEqual(msg.questions);
    expect(decodeMessage(encodeForUdp(msg, 4096)).answers).toHaveLength(40);
    expect(udpLimit(message([]))).toBe(512);
  });
});

// The UDP/TCP transport on real loopback sockets, with a fixed responder (no Kubernetes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { createLogger } from '../../../src/log/logger.ts';
import { buildQuery, query } from '../../../src/local/dns/client.ts';
import { listenDns, type DnsListener } from '../../../src/local/dns/transport.ts';
import { CLASS_IN, decodeMessage, encodeMessage, RCODE, TYPE, type Message } from '../../../src/local/dns/wire.ts';

/** Answers every query with `count` A records, so tests control the size. */
function respondWith(q: Message): Message {
  const count = Number(q.questions[0]!.name.split('.')[0]);
  return {
    header: { ...q.header, qr: true, aa: true, rcode: RCODE.NOERROR },
    questions: q.questions,
    answers: Array.from({ length: count }, (_, i) => ({ name: q.questions[0]!.name, type: TYPE.A, class: CLASS_IN, ttl: 30, data: { kind: 'A' as const, address: `198.18.2.${i}` } })),
    authorities: [],
    additionals: [],
  };
}

let listener: DnsListener;
const server = () => ({ host: '127.0.0.1', port: listener.port });

beforeAll(async () => {
  listener = await listenDns({ host: '127.0.0.1', port: 0 }, respondWith, createLogger('silent', 'test'));
});
afterAll(() => listener.close());

describe('DNS transport', () => {
  it('answers over UDP and TCP on the same port', async () => {
    for (const transport of ['udp', 'tcp'] as const) {
      const r = await query(server(), '2.test.', TYPE.A, { transport });
      expect(r.answers.map((a) => a.data)).toEqual([{ kind: 'A', address: '198.18.2.0' }, { kind: 'A', address: '198.18.2.1' }]);
    }
  });

  it('truncates UDP answers over 512 bytes, honours EDNS sizes, and TCP carries the whole answer', async () => {
    const udp = await query(server(), '60.test.', TYPE.A);
    expect([udp.header.tc, udp.answers.length]).toEqual([true, 0]);
    const edns = await query(server(), '60.test.', TYPE.A, { ednsPayload: 4096 });
    expect([edns.header.tc, edns.answers.length]).toEqual([false, 60]);
    const tcp = await query(server(), '60.test.', TYPE.A, { transport: 'tcp' });
    expect([tcp.header.tc, tcp.answers.length]).toEqual([false, 60]);
  });

  it('answers several length-prefixed queries on one TCP connection, split across writes', async () => {
    const framed = [1, 3].map((n, i) => {
      const wire = encodeMessage(buildQuery(`${n}.test.`, TYPE.A, 100 + i));
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(wire.length);
      return Buffer.concat([prefix, wire]);
    });
    const all = Buffer.concat(framed);
    const replies = await new Promise<Message[]>((resolve, reject) => {
      const socket = connect(listener.port, '127.0.0.1');
      let buf = Buffer.alloc(0);
      const out: Message[] = [];
      socket.on('connect', () => {
        socket.write(all.subarray(0, 5));
        setTimeout(() => socket.write(all.subarray(5)), 20);
      });
      socket.on('data', (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          out.push(decodeMessage(buf.subarray(2, 2 + buf.readUInt16BE(0))));
          buf = buf.subarray(2 + buf.readUInt16BE(0));
        }
        if (out.length === 2) {
          socket.destroy();
          resolve(out);
        }
      });
      socket.on('error', reject);
    });
    expect(replies.map((r) => [r.header.id, r.answers.length])).toEqual([[100, 1], [101, 3]]);
  });

  it('replies FORMERR to a malformed query it can read the id of', async () => {
    const reply = await new Promise<Buffer>((resolve) => {
      const socket = createSocket('udp4');
      socket.on('message', (raw) => {
        socket.close();
        resolve(raw);
      });
      // Header says one question, but none follows.
      socket.send(Buffer.from([0xab, 0xcd, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), listener.port, '127.0.0.1');
    });
    const msg = decodeMessage(reply);
    expect([msg.header.id, msg.header.qr, msg.header.rcode]).toEqual([0xabcd, true, RCODE.FORMERR]);
  });
});

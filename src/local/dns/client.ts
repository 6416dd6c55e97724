// A minimal DNS stub client over UDP or TCP, for tests, benchmarks and health checks of the
// cluster DNS (no recursion, no retries beyond the timeout).
import { createSocket } from 'node:dgram';
import { connect, isIPv6 } from 'node:net';
import { CLASS_IN, decodeMessage, encodeMessage, TYPE, type Message } from './wire.ts';

export interface QueryOptions {
  transport?: 'udp' | 'tcp';
  timeoutMs?: number;
  /** Advertise this EDNS payload size (adds an OPT record). */
  ednsPayload?: number;
}

export function buildQuery(name: string, type: number, id: number, ednsPayload?: number): Message {
  return {
    header: { id, qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, rcode: 0 },
    questions: [{ name, type, class: CLASS_IN }],
    answers: [],
    authorities: [],
    additionals: ednsPayload ? [{ name: '.', type: TYPE.OPT, class: ednsPayload, ttl: 0, data: { kind: 'raw', bytes: new Uint8Array() } }] : [],
  };
}

function withTimeout<T>(ms: number, what: string, run: (resolve: (v: T) => void, reject: (e: Error) => void) => () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let cleanup = (): void => {};
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${what}: no answer within ${ms} ms`));
    }, ms);
    cleanup = run(
      (v) => {
        clearTimeout(timer);
        cleanup();
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        cleanup();
        reject(e);
      },
    );
  });
}

export function query(server: { host: string; port: number }, name: string, type: number, options: QueryOptions = {}): Promise<Message> {
  const id = Math.floor(Math.random() * 0x10000);
  const wire = encodeMessage(buildQuery(name, type, id, options.ednsPayload));
  const what = `DNS ${options.transport ?? 'udp'} query ${name} to ${server.host}:${server.port}`;
  const timeoutMs = options.timeoutMs ?? 2_000;
  if (options.transport === 'tcp') {
    return withTimeout<Message>(timeoutMs, what, (resolve, reject) => {
      const socket = connect(server.port, server.host);
      let buf = Buffer.alloc(0);
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(wire.length);
      socket.on('connect', () => socket.write(Buffer.concat([prefix, wire])));
      socket.on('data', (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) resolve(decodeMessage(buf.subarray(2, 2 + buf.readUInt16BE(0))));
      });
      socket.on('error', reject);
      return () => socket.destroy();
    });
  }
  return withTimeout<Message>(timeoutMs, what, (resolve, reject) => {
    const socket = createSocket(isIPv6(server.host) ? 'udp6' : 'udp4');
    socket.on('message', (raw) => {
      const reply = decodeMessage(raw);
      if (reply.header.id === id) resolve(reply);
    });
    socket.on('error', reject);
    socket.send(wire, server.port, server.host);
    return () => socket.close();
  });
}

// DNS over UDP and TCP (RFC 1035 §4.2, RFC 7766) on one host:port: UDP answers are cut to
// the client's payload size with TC set; TCP carries length-prefixed messages, several per
// connection, and closes idle connections.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../log/logger.ts';
import { decodeMessage, encodeForUdp, encodeMessage, RCODE, udpLimit, type Message } from './wire.ts';
import { errorMessage } from '../../log/error-message.ts';

export type Responder = (query: Message) => Message;

const TCP_IDLE_MS = 10_000;
const MAX_TCP_MESSAGE = 65_535;

export interface DnsListener {
  /** The bound port (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

/** FORMERR for a query that could not be decoded, when at least its id is readable. */
function formatError(raw: Buffer): Buffer | undefined {
  if (raw.length < 12) return undefined;
  const rd = raw[2]! & 0x01;
  return Buffer.from([raw[0]!, raw[1]!, 0x80 | rd, 0x80 | RCODE.FORMERR, 0, 0, 0, 0, 0, 0, 0, 0]);
}

function respond(raw: Buffer, responder: Responder, udp: boolean, log: Logger): Buffer | undefined {
  let query: Message;
  try {
    query = decodeMessage(raw);
  } catch (err) {
    log.debug({ err: errorMessage(err) }, 'malformed DNS query');
    return formatError(raw);
  }
  if (query.header.qr) return undefined; // a response sent to us: never answer it
  const reply = responder(query);
  return udp ? encodeForUdp(reply, udpLimit(query)) : encodeMessage(reply);
}

function serveTcp(socket: Socket, responder: Responder, log: Logger): void {
  let pending: Buffer = Buffer.alloc(0);
  socket.setNoDelay(true);
  socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 2) {
      const length = pending.readUInt16BE(0);
      if (pending.length < 2 + length) break;
      const raw = pending.subarray(2, 2 + length);
      pending = pending.subarray(2 + length);
      const out = respond(raw, responder, false, log);
      if (!out || out.length > MAX_TCP_MESSAGE) continue;
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(out.length);
      socket.write(Buffer.concat([prefix, out]));
    }
  });
}

/** Listens on UDP and TCP at host:port (TCP first, so port 0 picks one free for both). */
export async function listenDns(listen: { host: string; port: number }, responder: Responder, log: Logger): Promise<DnsListener> {
  const connections = new Set<Socket>();
  const tcp: Server = createServer((socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    serveTcp(socket, responder, log);
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(listen.port, listen.host, () => resolve());
  });
  const port = (tcp.address() as { port: number }).port;
  const udp: UdpSocket = createSocket({ type: isIPv6(listen.host) ? 'udp6' : 'udp4' });
  udp.on('message', (raw, peer) => {
    const out = respond(raw, responder, true, log);
    if (out) udp.send(out, peer.port, peer.address);
  });
  udp.on('error', (err) => log.warn({ err: err.message }, 'DNS UDP socket error'));
  try {
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, listen.host, () => resolve());
    });
  } catch (err) {
    tcp.close();
    throw new Error(`cannot listen for DNS on UDP ${listen.host}:${port}: ${errorMessage(err)}`, { cause: err });
  }
  return {
    port,
    async close() {
      for (const socket of connections) socket.destroy();
      await Promise.all([new Promise<void>((resolve) => udp.close(() => resolve())), new Promise<void>((resolve) => tcp.close(() => resolve()))]);
    },
  };
}

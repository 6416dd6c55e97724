// A minimal WebSocket client for tests that need a subprotocol `ws` refuses to send (kubectl's
// `SPDY/3.1+portforward.k8s.io` is not an RFC 6455 token): handshake by hand, then binary
// frames, masked as a client must. Returns the connection as a Duplex of message payloads.
import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import { connect, type ConnectionOptions } from 'node:tls';

export async function rawWebSocket(host: string, port: number, path: string, protocol: string, tls: ConnectionOptions): Promise<{ stream: Duplex; protocol: string }> {
  const socket = connect({ host, port, ...tls });
  await new Promise((r) => socket.once('secureConnect', r));
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Protocol: ${protocol}\r\n\r\n`,
  );
  let buffered = Buffer.alloc(0);
  const response = await new Promise<string>((resolve) => {
    const onData = (d: Buffer): void => {
      buffered = Buffer.concat([buffered, d]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      const text = buffered.subarray(0, end).toString();
      buffered = buffered.subarray(end + 4);
      resolve(text);
    };
    socket.on('data', onData);
  });
  if (!response.startsWith('HTTP/1.1 101')) throw new Error(`handshake refused: ${response}`);
  const chosen = /sec-websocket-protocol: *(\S+)/i.exec(response)?.[1] ?? '';

  const stream = new Duplex({
    write(chunk: Buffer, _enc, cb) {
      const mask = randomBytes(4);
      const len = chunk.length;
      const head = len < 126 ? Buffer.from([0x82, 0x80 | len]) : len < 65536 ? Buffer.from([0x82, 0x80 | 126, len >> 8, len & 0xff]) : Buffer.concat([Buffer.from([0x82, 0x80 | 127]), Buffer.from(new BigUint64Array([BigInt(len)]).buffer).reverse()]);
      const body = Buffer.from(chunk.map((b, i) => b ^ mask[i % 4]!));
      socket.write(Buffer.concat([head, mask, body]), cb);
    },
    final(cb) {
      socket.end(Buffer.from([0x88, 0x80, 0, 0, 0, 0]), () => cb());
    },
    read() {},
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });
  const parse = (): void => {
    for (;;) {
      if (buffered.length < 2) return;
      let len = buffered[1]! & 0x7f;
      let at = 2;
      if (len === 126) [len, at] = [buffered.readUInt16BE(2), 4];
      else if (len === 127) [len, at] = [Number(buffered.readBigUInt64BE(2)), 10];
      if (buffered.length < at + len) return;
      const opcode = buffered[0]! & 0x0f;
      const payload = buffered.subarray(at, at + len);
      buffered = buffered.subarray(at + len);
      if (opcode === 0x2 || opcode === 0x0) stream.push(payload);
      if (opcode === 0x8) stream.push(null);
    }
  };
  parse();
  socket.on('data', (d: Buffer) => {
    buffered = Buffer.concat([buffered, d]);
    parse();
  });
  socket.on('close', () => stream.destroy());
  return { stream, protocol: chosen };
}

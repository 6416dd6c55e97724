// Properties of the streaming wire formats read from peers: SPDY/3.1 frames (kubectl and
// kube-apiserver before 1.30), the Kubernetes WebSocket channel protocols, resize messages and
// port-forward queries. Any bytes are decided fast and refused only with the protocol's typed
// error; what we encode is read back the same however the network cuts it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameParser, HeaderCompressor, SpdyProtocolError, type Frame } from '../../src/streams/spdy/frames.ts';
import { jsonObjectSplitter } from '../../src/streams/spdy/remote-command.ts';
import { ChannelProtocolError, decodeChannelMessage, decodeResize, encodeChannelMessage, encodeResize, WS_PROTOCOL, type WsChannelProtocol } from '../../src/streams/websocket-channels.ts';
import { parsePortForwardPorts } from '../../src/streams/websocket-port-forward.ts';
import { parseRemoteCommandQuery } from '../../src/streams/remote-command.ts';
import { check, decided, hostileString } from './budget.ts';
import { coalesce } from '../support/spdy-frames.ts';

/** Cuts `bytes` at the given points (taken modulo its length). */
function cut(bytes: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => (bytes.length === 0 ? 0 : p % bytes.length)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const p of at) {
    pieces.push(bytes.subarray(from, p));
    from = p;
  }
  pieces.push(bytes.subarray(from));
  return pieces;
}

const streamId = fc.integer({ min: 1, max: 2 ** 31 - 1 });
const headers = fc.dictionary(fc.stringMatching(/^[a-z][-a-z0-9]{0,12}$/), fc.string({ maxLength: 30 }), { maxKeys: 5 });
const frame: fc.Arbitrary<Exclude<Frame, { type: 'unknown' }>> = fc.oneof(
  fc.record({ type: fc.constant('data'), streamId, fin: fc.boolean(), data: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)) }),
  fc.record({ type: fc.constant('synStream'), streamId, associatedTo: fc.constant(0), priority: fc.integer({ min: 0, max: 7 }), fin: fc.boolean(), unidirectional: fc.boolean(), headers }),
  fc.record({ type: fc.constant('synReply'), streamId, fin: fc.boolean(), headers }),
  fc.record({ type: fc.constant('rstStream'), streamId, status: fc.integer({ min: 1, max: 11 }) }),
  fc.record({ type: fc.constant('ping'), id: fc.nat() }),
  fc.record({ type: fc.constant('windowUpdate'), streamId, delta: fc.integer({ min: 1, max: 2 ** 31 - 1 }) }),
  fc.record({ type: fc.constant('goaway'), lastGoodStreamId: fc.nat(2 ** 31 - 1), status: fc.integer({ min: 0, max: 2 }) }),
);

function parseAll(pieces: Buffer[]): Frame[] {
  const parser = new FrameParser();
  try {
    return pieces.flatMap((piece) => parser.push(piece));
  } finally {
    parser.close();
  }
}

/** Frames compared whole (DATA pieces joined), their payloads as plain arrays. */
function joined(frames: readonly Frame[]): unknown[] {
  return coalesce(frames).map((f) => (f.type === 'data' ? { ...f, data: [...f.data] } : f));
}

describe('SPDY frames', () => {
  it('any bytes, cut anywhere, are frames or a SpdyProtocolError', () => {
    check(fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(), { maxLength: 6 }), (bytes, points) => {
      decided(() => parseAll(cut(Buffer.from(bytes), points)), SpdyProtocolError);
    }));
  });

  it('valid frame headers with hostile payloads are decided too (the header-block decompressor gets garbage)', () => {
    check(fc.property(fc.constantFrom(1, 2, 3, 4, 6, 7, 8, 9, 99), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 300 }), (type, flags, payload) => {
      const header = Buffer.alloc(8);
      header.writeUInt16BE(0x8003, 0);
      header.writeUInt16BE(type, 2);
      header.writeUInt32BE(((flags << 24) | payload.length) >>> 0, 4);
      decided(() => parseAll([header, Buffer.from(payload)]), SpdyProtocolError);
    }));
  });

  it('encoded frames are read back the same however they are cut', () => {
    check(fc.property(fc.array(frame, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (frames, points) => {
      const compressor = new HeaderCompressor();
      const wire = Buffer.concat(frames.map((f) => encodeFrame(f, compressor)));
      compressor.close();
      expect(joined(parseAll(cut(wire, points)))).toEqual(joined(frames));
    }));
  });
});

const protocols = Object.values(WS_PROTOCOL) as WsChannelProtocol[];

describe('WebSocket channel messages', () => {
  it('any message under any protocol is decoded or a ChannelProtocolError', () => {
    check(fc.property(fc.constantFrom(...protocols), fc.uint8Array({ maxLength: 300 }), (protocol, bytes) => {
      decided(() => decodeChannelMessage(protocol, Buffer.from(bytes)), ChannelProtocolError);
    }));
  });

  it('encoded data is decoded to the same channel and bytes under every protocol', () => {
    check(fc.property(fc.constantFrom(...protocols), fc.integer({ min: 0, max: 4 }), fc.uint8Array({ maxLength: 300 }), (protocol, channel, bytes) => {
      const message = encodeChannelMessage(protocol, channel, Buffer.from(bytes));
      const wire = Buffer.isBuffer(message) ? message : Buffer.from(String(message));
      const decoded = decodeChannelMessage(protocol, wire);
      expect(decoded).toEqual({ kind: 'data', channel, data: Buffer.from(bytes) });
    }));
  });

  it('any resize text is a sane size or null; encoded sizes come back', () => {
    check(fc.property(hostileString('{}"WidthHeight:,0123456789-.e ', 80), fc.nat(10_000), fc.nat(10_000), (text, width, height) => {
      const size = decided(() => decodeResize(text));
      if ('value' in size && size.value) {
        expect(Number.isInteger(size.value.width) && size.value.width >= 0).toBe(true);
        expect(Number.isInteger(size.value.height) && size.value.height >= 0).toBe(true);
      }
      expect(decodeResize(encodeResize({ width, height }))).toEqual({ width, height });
    }));
  });

  it('SPDY resize streams cut anywhere yield every object once', () => {
    check(fc.property(fc.array(fc.record({ width: fc.nat(500), height: fc.nat(500) }), { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 6 }), (sizes, points) => {
      const seen: string[] = [];
      const feed = jsonObjectSplitter((text) => seen.push(text));
      for (const piece of cut(Buffer.concat(sizes.map(encodeResize)), points)) feed(piece);
      expect(seen.map((t) => decodeResize(t))).toEqual(sizes);
    }));
  });
});

describe('streaming queries', () => {
  it('any port-forward query is a list of ports 1-65535 or refused', () => {
    check(fc.property(fc.array(hostileString('0123456789,- +e.x', 20), { maxLength: 4 }), (values) => {
      const q = new URLSearchParams(values.map((v): [string, string] => ['port', v]));
      const r = decided(() => parsePortForwardPorts(q), Error);
      if ('value' in r) for (const p of r.value) expect(p >= 1 && p <= 65535 && Number.isInteger(p)).toBe(true);
    }));
  });

  it('any exec query string is read without throwing', () => {
    check(fc.property(hostileString('=&commandstdinouterrtycontainer0123456789%+', 200), (text) => {
      decided(() => parseRemoteCommandQuery(new URLSearchParams(text)));
    }));
  });
});

import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SPDY3_DICTIONARY } from '../../../src/streams/spdy/dictionary.ts';
import {
  decodeHeaderBlock,
  encodeFrame,
  encodeHeaderBlock,
  FrameParser,
  HeaderCompressor,
  MAX_CONTROL_PAYLOAD,
  SpdyProtocolError,
  type Frame,
} from '../../../src/streams/spdy/frames.ts';
import { coalesce } from '../../support/spdy-frames.ts';

type KnownFrame = Exclude<Frame, { type: 'unknown' }>;


const u32 = (...v: number[]): Buffer => {
  const b = Buffer.alloc(v.length * 4);
  v.forEach((x, i) => b.writeUInt32BE(x >>> 0, i * 4));
  return b;
};

describe('SPDY/3 dictionary', () => {
  it('is the 1423-byte dictionary whose zlib id (adler32) is 0xe3c6a7c2', () => {
    expect(SPDY3_DICTIONARY.length).toBe(1423);
    // zlib writes the dictionary's adler32 as DICTID right after the 2-byte header.
    const probe = zlib.deflateSync(Buffer.from('x'), { dictionary: SPDY3_DICTIONARY });
    expect(probe.readUInt32BE(2)).toBe(0xe3c6a7c2);
    expect(SPDY3_DICTIONARY.subarray(0, 11)).toEqual(Buffer.from('\0\0\0\x07options', 'latin1'));
    expect(SPDY3_DICTIONARY.subarray(-6).toString()).toBe('enq=0.');
  });
});

describe('frame codec', () => {
  const frames: KnownFrame[] = [
    { type: 'data', streamId: 5, fin: false, data: Buffer.from('hello') },
    { type: 'data', streamId: 0x7fffffff, fin: true, data: Buffer.alloc(0) },
    { type: 'synStream', streamId: 1, associatedTo: 0, priority: 0, fin: false, unidirectional: false, headers: { streamtype: 'error', port: '80' } },
    { type: 'synStream', streamId: 3, associatedTo: 1, priority: 7, fin: true, unidirectional: true, headers: {} },
    { type: 'synReply', streamId: 1, fin: false, headers: {} },
    { type: 'headers', streamId: 1, fin: true, headers: { a: 'b\0c' } },
    { type: 'rstStream', streamId: 9, status: 5 },
    { type: 'settings', entries: [{ flags: 1, id: 7, value: 65536 }] },
    { type: 'ping', id: 0xffffffff },
    { type: 'goaway', lastGoodStreamId: 11, status: 0 },
    { type: 'windowUpdate', streamId: 3, delta: 1000 },
  ];

  it('round-trips every frame type, one at a time and fed byte by byte', () => {
    const out = new HeaderCompressor();
    const wire = Buffer.concat(frames.map((f) => encodeFrame(f, out)));
    expect(new FrameParser().push(wire)).toEqual(frames);
    const parser = new FrameParser();
    const got: Frame[] = [];
    for (const byte of wire) got.push(...parser.push(Buffer.from([byte])));
    // DATA payloads stream out as they arrive: "hello" fed bytewise comes as five pieces.
    expect(got.filter((f) => f.type === 'data' && f.streamId === 5)).toHaveLength(5);
    expect(coalesce(got)).toEqual(frames);
  });

  it('lays out a PING and a DATA frame as the spec draws them', () => {
    const c = new HeaderCompressor();
    expect(encodeFrame({ type: 'ping', id: 7 }, c)).toEqual(Buffer.from([0x80, 3, 0, 6, 0, 0, 0, 4, 0, 0, 0, 7]));
    expect(encodeFrame({ type: 'data', streamId: 2, fin: true, data: Buffer.from('ab') }, c)).toEqual(Buffer.from([0, 0, 0, 2, 1, 0, 0, 2, 0x61, 0x62]));
    expect(encodeFrame({ type: 'rstStream', streamId: 1, status: 5 }, c)).toEqual(Buffer.from([0x80, 3, 0, 3, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 5]));
  });

  it('shares one compression context across header blocks', () => {
    const c = new HeaderCompressor();
    const headers = { streamtype: 'stdout', port: '8080', requestid: '0' };
    const first = encodeFrame({ type: 'synStream', streamId: 1, associatedTo: 0, priority: 0, fin: false, unidirectional: false, headers }, c);
    const second = encodeFrame({ type: 'synStream', streamId: 3, associatedTo: 0, priority: 0, fin: false, unidirectional: false, headers }, c);
    // Only the first block carries the zlib header; the repeat compresses to a back-reference.
    expect(first.readUInt32BE(18 + 2)).toBe(0xe3c6a7c2);
    expect(second.length).toBeLessThan(first.length);
    const parser = new FrameParser();
    const decoded = parser.push(Buffer.concat([first, second, first.subarray(0, 0)]));
    expect(decoded.map((f) => (f.type === 'synStream' ? f.headers : null))).toEqual([headers, headers]);
    // A fresh parser cannot read the second block alone: it depends on the first.
    expect(() => new FrameParser().push(second)).toThrow(SpdyProtocolError);
  });

  it('decodes a SYN_STREAM built by hand from the spec', () => {
    // Header block: count, then (len, name, len, value) pairs, deflated with the dictionary and
    // a sync flush — what Go's framer emits for the first block of a connection.
    const raw = Buffer.concat([u32(2), u32(10), Buffer.from('streamtype'), u32(5), Buffer.from('error'), u32(4), Buffer.from('port'), u32(2), Buffer.from('80')]);
    const compressed = zlib.deflateSync(raw, { dictionary: SPDY3_DICTIONARY, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    const payload = Buffer.concat([u32(1, 0), Buffer.from([0b0110_0000, 0]), compressed]);
    const frame = Buffer.concat([Buffer.from([0x80, 0x03, 0x00, 0x01, 0x00]), Buffer.from([payload.length >> 16, (payload.length >> 8) & 0xff, payload.length & 0xff]), payload]);
    expect(new FrameParser().push(frame)).toEqual([
      { type: 'synStream', streamId: 1, associatedTo: 0, priority: 3, fin: false, unidirectional: false, headers: { streamtype: 'error', port: '80' } },
    ]);
    expect(encodeHeaderBlock({ streamtype: 'error', port: '80' })).toEqual(raw);
  });

  it('rejects malformed input with a protocol error', () => {
    const c = new HeaderCompressor();
    expect(() => decodeHeaderBlock(Buffer.from([0, 0, 0, 1, 0, 0, 0, 9, 0x61]))).toThrow(SpdyProtocolError);
    expect(() => decodeHeaderBlock(Buffer.concat([u32(1, 1), Buffer.from('A'), u32(0)]))).toThrow(/header name/);
    expect(() => new FrameParser().push(Buffer.from([0x80, 2, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1]))).toThrow(/version 2/);
    expect(() => new FrameParser().push(Buffer.from([0x80, 3, 0, 6, 0, 0, 0, 2, 0, 0]))).toThrow(/PING frame too short/);
    const garbageHeaders = Buffer.concat([Buffer.from([0x80, 3, 0, 2, 0, 0, 0, 8]), u32(1), Buffer.from('junk')]);
    expect(() => new FrameParser().push(garbageHeaders)).toThrow(SpdyProtocolError);
    expect(encodeFrame({ type: 'ping', id: 1 }, c).length).toBe(12);
    expect(() => new FrameParser().push(Buffer.from([0, 0, 0, 0, 0, 0, 0, 1, 0x61]))).toThrow(/stream 0/);
  });

  it('refuses a control frame longer than MAX_CONTROL_PAYLOAD as soon as its header says so, before buffering it', () => {
    const header = Buffer.from([0x80, 3, 0, 1, 0, 0, 0, 0]);
    header.writeUIntBE(MAX_CONTROL_PAYLOAD + 1, 5, 3);
    expect(() => new FrameParser().push(header)).toThrow(/control frame of \d+ bytes/);
    const fits = Buffer.from(header);
    fits.writeUIntBE(MAX_CONTROL_PAYLOAD, 5, 3);
    expect(new FrameParser().push(fits)).toEqual([]);
  });
});

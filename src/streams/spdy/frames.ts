// SPDY/3.1 frames (draft 3.1 §2.2–2.6): the binary layout, a streaming parser and the
// header-block compression. Header blocks share one zlib context per direction for the whole
// connection, flushed with Z_SYNC_FLUSH after each block, so the codec objects are per session.
import zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary.ts';
import { errorMessage } from '../../log/error-message.ts';

export const SPDY_VERSION = 3;

export const FRAME = {
  synStream: 1,
  synReply: 2,
  rstStream: 3,
  settings: 4,
  ping: 6,
  goaway: 7,
  headers: 8,
  windowUpdate: 9,
} as const;

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

export const RST = { protocolError: 1, invalidStream: 2, refusedStream: 3, cancel: 5, internalError: 6 } as const;
export const GOAWAY = { ok: 0, protocolError: 1, internalError: 2 } as const;

/** Header names are lowercase on the wire; a name may carry several NUL-separated values. */
export type SpdyHeaders = Record<string, string>;

export type Frame =
  | { type: 'data'; streamId: number; fin: boolean; data: Buffer }
  | { type: 'synStream'; streamId: number; associatedTo: number; priority: number; fin: boolean; unidirectional: boolean; headers: SpdyHeaders }
  | { type: 'synReply'; streamId: number; fin: boolean; headers: SpdyHeaders }
  | { type: 'headers'; streamId: number; fin: boolean; headers: SpdyHeaders }
  | { type: 'rstStream'; streamId: number; status: number }
  | { type: 'settings'; entries: { flags: number; id: number; value: number }[] }
  | { type: 'ping'; id: number }
  | { type: 'goaway'; lastGoodStreamId: number; status: number }
  | { type: 'windowUpdate'; streamId: number; delta: number }
  | { type: 'unknown'; frameType: number };

export class SpdyProtocolError extends Error {
  override name = 'SpdyProtocolError';
}

export const MAX_FRAME_PAYLOAD = (1 << 24) - 1;
/** Decompressed header blocks bigger than this are refused: they are an attack, not headers. */
const MAX_HEADER_BLOCK = 1 << 20;
/**
 * Control frames are decoded whole, so the parser buffers one entirely: a longer one is refused
 * from its 8-byte header on, not after the peer made us hold 16 MiB. Headers compress, so a
 * block that decompresses within MAX_HEADER_BLOCK fits.
 */
export const MAX_CONTROL_PAYLOAD = MAX_HEADER_BLOCK + 64;

// Node's zlib has no public "process this chunk now, keep the context" call: the *Sync helpers
// close their context and the streams are asynchronous. Frames must be encoded and decoded in
// order, synchronously, so this drives the zlib stream's native handle directly, the same loop
// zlib.js's processChunkSync runs, minus the close at the end. Covered by the frame tests.
interface NativeZlibHandle {
  writeSync(flush: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number): void;
  onerror: (message: string, errno: number) => void;
}

class SyncZlibContext {
  private readonly stream: zlib.Deflate | zlib.Inflate;
  private readonly handle: NativeZlibHandle;
  /** [availOutAfter, availInAfter], written by the native handle after each call. */
  private readonly state: Uint32Array;
  private readonly maxOutput: number;
  private failure: Error | null = null;

  constructor(stream: zlib.Deflate | zlib.Inflate, maxOutput: number) {
    const internals = stream as unknown as { _handle?: NativeZlibHandle; _writeState?: Uint32Array };
    if (!internals._handle || !internals._writeState) throw new Error('this Node.js zlib exposes no native handle; SPDY header compression needs it');
    this.stream = stream;
    this.handle = internals._handle;
    this.state = internals._writeState;
    this.maxOutput = maxOutput;
    this.handle.onerror = (message) => {
      this.failure = new Error(message);
    };
  }

  process(input: Buffer, flush: number): Buffer {
    if (this.failure) throw this.failure;
    const out: Buffer[] = [];
    let total = 0;
    let inOff = 0;
    let inLen = input.length;
    for (;;) {
      const buf = Buffer.allocUnsafe(16 * 1024);
      this.handle.writeSync(flush, input, inOff, inLen, buf, 0, buf.length);
      if (this.failure) throw this.failure;
      const availOut = this.state[0]!;
      const availIn = this.state[1]!;
      const have = buf.length - availOut;
      total += have;
      if (total > this.maxOutput) throw (this.failure = new Error(`zlib output exceeds ${this.maxOutput} bytes`));
      if (have > 0) out.push(buf.subarray(0, have));
      inOff += inLen - availIn;
      inLen = availIn;
      if (availOut !== 0) break; // all input consumed and all output flushed
    }
    return out.length === 1 ? out[0]! : Buffer.concat(out, total);
  }

  close(): void {
    this.stream.close();
  }
}

export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [];
  const count = Buffer.alloc(4);
  count.writeUInt32BE(entries.length);
  parts.push(count);
  for (const [name, value] of entries) {
    for (const s of [name.toLowerCase(), value]) {
      const bytes = Buffer.from(s, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32BE(bytes.length);
      parts.push(len, bytes);
    }
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  const need = (at: number, n: number): void => {
    if (at + n > block.length) throw new SpdyProtocolError('header block truncated');
  };
  need(0, 4);
  const count = block.readUInt32BE(0);
  let at = 4;
  const headers: SpdyHeaders = {};
  for (let i = 0; i < count; i++) {
    const strings: string[] = [];
    for (let j = 0; j < 2; j++) {
      need(at, 4);
      const len = block.readUInt32BE(at);
      at += 4;
      need(at, len);
      strings.push(block.toString('utf8', at, at + len));
      at += len;
    }
    const [name, value] = strings as [string, string];
    if (name === '' || name !== name.toLowerCase()) throw new SpdyProtocolError(`invalid header name ${JSON.stringify(name)}`);
    if (name in headers) throw new SpdyProtocolError(`duplicate header ${name}`);
    headers[name] = value;
  }
  return headers;
}

/** Compresses header blocks for one direction of one connection. */
export class HeaderCompressor {
  private readonly context = new SyncZlibContext(zlib.createDeflate({ dictionary: SPDY3_DICTIONARY }), MAX_FRAME_PAYLOAD);

  compress(headers: SpdyHeaders): Buffer {
    return this.context.process(encodeHeaderBlock(headers), zlib.constants.Z_SYNC_FLUSH);
  }

  close(): void {
    this.context.close();
  }
}

/** Decompresses header blocks for one direction of one connection. */
export class HeaderDecompressor {
  private readonly context = new SyncZlibContext(zlib.createInflate({ dictionary: SPDY3_DICTIONARY }), MAX_HEADER_BLOCK);

  decompress(compressed: Buffer): SpdyHeaders {
    let block: Buffer;
    try {
      block = this.context.process(compressed, zlib.constants.Z_SYNC_FLUSH);
    } catch (err) {
      throw new SpdyProtocolError(`header block does not decompress: ${errorMessage(err)}`);
    }
    return decodeHeaderBlock(block);
  }

  close(): void {
    this.context.close();
  }
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME_PAYLOAD) throw new SpdyProtocolError('control frame too large');
  const frame = Buffer.allocUnsafe(8 + payload.length);
  frame.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  frame.writeUInt16BE(type, 2);
  frame.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  payload.copy(frame, 8);
  return frame;
}

function u32s(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

/** The 8 bytes in front of a DATA payload (sent separately so the payload is never copied). */
export function encodeDataHeader(streamId: number, length: number, fin: boolean): Buffer {
  if (length > MAX_FRAME_PAYLOAD) throw new SpdyProtocolError('data frame too large');
  const header = Buffer.allocUnsafe(8);
  header.writeUInt32BE(streamId & 0x7fffffff, 0);
  header.writeUInt32BE(((fin ? FLAG_FIN : 0) << 24) | length, 4);
  return header;
}

export function encodeDataFrame(streamId: number, data: Buffer, fin: boolean): Buffer {
  return Buffer.concat([encodeDataHeader(streamId, data.length, fin), data]);
}

/** Encodes a frame; header-carrying frames need the connection's compressor. */
export function encodeFrame(frame: Exclude<Frame, { type: 'unknown' }>, compressor: HeaderCompressor): Buffer {
  switch (frame.type) {
    case 'data':
      return encodeDataFrame(frame.streamId, frame.data, frame.fin);
    case 'synStream': {
      const fixed = Buffer.alloc(10);
      fixed.writeUInt32BE(frame.streamId & 0x7fffffff, 0);
      fixed.writeUInt32BE(frame.associatedTo & 0x7fffffff, 4);
      fixed[8] = (frame.priority & 0x7) << 5;
      const flags = (frame.fin ? FLAG_FIN : 0) | (frame.unidirectional ? FLAG_UNIDIRECTIONAL : 0);
      return controlFrame(FRAME.synStream, flags, Buffer.concat([fixed, compressor.compress(frame.headers)]));
    }
    case 'synReply':
    case 'headers': {
      const type = frame.type === 'synReply' ? FRAME.synReply : FRAME.headers;
      return controlFrame(type, frame.fin ? FLAG_FIN : 0, Buffer.concat([u32s(frame.streamId & 0x7fffffff), compressor.compress(frame.headers)]));
    }
    case 'rstStream':
      return controlFrame(FRAME.rstStream, 0, u32s(frame.streamId & 0x7fffffff, frame.status));
    case 'settings': {
      const body = Buffer.alloc(4 + frame.entries.length * 8);
      body.writeUInt32BE(frame.entries.length, 0);
      frame.entries.forEach((e, i) => {
        body.writeUInt32BE(((e.flags & 0xff) << 24) | (e.id & 0xffffff), 4 + i * 8);
        body.writeUInt32BE(e.value >>> 0, 8 + i * 8);
      });
      return controlFrame(FRAME.settings, 0, body);
    }
    case 'ping':
      return controlFrame(FRAME.ping, 0, u32s(frame.id));
    case 'goaway':
      return controlFrame(FRAME.goaway, 0, u32s(frame.lastGoodStreamId & 0x7fffffff, frame.status));
    case 'windowUpdate':
      return controlFrame(FRAME.windowUpdate, 0, u32s(frame.streamId & 0x7fffffff, frame.delta & 0x7fffffff));
  }
}

function requireLength(type: string, payload: Buffer, min: number): void {
  if (payload.length < min) throw new SpdyProtocolError(`${type} frame too short (${payload.length} bytes)`);
}

function decodeControl(type: number, flags: number, p: Buffer, decompressor: HeaderDecompressor): Frame {
  const fin = (flags & FLAG_FIN) !== 0;
  switch (type) {
    case FRAME.synStream:
      requireLength('SYN_STREAM', p, 10);
      return {
        type: 'synStream',
        streamId: p.readUInt32BE(0) & 0x7fffffff,
        associatedTo: p.readUInt32BE(4) & 0x7fffffff,
        priority: p[8]! >> 5,
        fin,
        unidirectional: (flags & FLAG_UNIDIRECTIONAL) !== 0,
        headers: decompressor.decompress(p.subarray(10)),
      };
    case FRAME.synReply:
    case FRAME.headers:
      requireLength(type === FRAME.synReply ? 'SYN_REPLY' : 'HEADERS', p, 4);
      return {
        type: type === FRAME.synReply ? 'synReply' : 'headers',
        streamId: p.readUInt32BE(0) & 0x7fffffff,
        fin,
        headers: decompressor.decompress(p.subarray(4)),
      };
    case FRAME.rstStream:
      requireLength('RST_STREAM', p, 8);
      return { type: 'rstStream', streamId: p.readUInt32BE(0) & 0x7fffffff, status: p.readUInt32BE(4) };
    case FRAME.settings: {
      requireLength('SETTINGS', p, 4);
      const n = p.readUInt32BE(0);
      requireLength('SETTINGS', p, 4 + n * 8);
      const entries = Array.from({ length: n }, (_, i) => {
        const word = p.readUInt32BE(4 + i * 8);
        return { flags: word >>> 24, id: word & 0xffffff, value: p.readUInt32BE(8 + i * 8) };
      });
      return { type: 'settings', entries };
    }
    case FRAME.ping:
      requireLength('PING', p, 4);
      return { type: 'ping', id: p.readUInt32BE(0) };
    case FRAME.goaway:
      requireLength('GOAWAY', p, 4);
      return { type: 'goaway', lastGoodStreamId: p.readUInt32BE(0) & 0x7fffffff, status: p.length >= 8 ? p.readUInt32BE(4) : 0 };
    case FRAME.windowUpdate:
      requireLength('WINDOW_UPDATE', p, 8);
      return { type: 'windowUpdate', streamId: p.readUInt32BE(0) & 0x7fffffff, delta: p.readUInt32BE(4) & 0x7fffffff };
    default:
      return { type: 'unknown', frameType: type };
  }
}

/**
 * Cuts a byte stream into frames. Feed it chunks; it returns the frames so far. DATA payloads
 * are handed on piece by piece as they arrive (several `data` frames for one on the wire, FIN
 * on the last piece), so big frames are neither buffered whole nor copied.
 */
export class FrameParser {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private readonly decompressor = new HeaderDecompressor();
  /** Inside a DATA frame: bytes of payload still to come, for which stream, FIN at the end. */
  private dataLeft = 0;
  private dataStream = 0;
  private dataFin = false;

  push(chunk: Buffer): Frame[] {
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.dataLeft > 0) {
        if (this.pendingLength === 0) break;
        const piece = this.take(Math.min(this.dataLeft, this.pending[0]!.length));
        this.dataLeft -= piece.length;
        frames.push({ type: 'data', streamId: this.dataStream, fin: this.dataLeft === 0 && this.dataFin, data: piece });
        continue;
      }
      if (this.pendingLength < 8) break;
      const header = this.pending[0]!.length >= 8 ? this.pending[0]! : this.merge();
      const length = header.readUInt32BE(4) & 0xffffff;
      const flags = header[4]!;
      if ((header[0]! & 0x80) === 0) {
        const streamId = header.readUInt32BE(0) & 0x7fffffff;
        if (streamId === 0) throw new SpdyProtocolError('DATA frame on stream 0');
        this.take(8);
        if (length === 0) frames.push({ type: 'data', streamId, fin: (flags & FLAG_FIN) !== 0, data: Buffer.alloc(0) });
        else [this.dataLeft, this.dataStream, this.dataFin] = [length, streamId, (flags & FLAG_FIN) !== 0];
        continue;
      }
      if (length > MAX_CONTROL_PAYLOAD) throw new SpdyProtocolError(`control frame of ${length} bytes: at most ${MAX_CONTROL_PAYLOAD} are accepted`);
      if (this.pendingLength < 8 + length) break; // control frames are decoded whole
      const buf = this.pending[0]!.length >= 8 + length ? this.pending[0]! : this.merge();
      const version = buf.readUInt16BE(0) & 0x7fff;
      if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version}`);
      const payload = buf.subarray(8, 8 + length);
      this.take(8 + length);
      frames.push(decodeControl(buf.readUInt16BE(2), flags, payload, this.decompressor));
    }
    return frames;
  }

  /** Removes `n` bytes from the front; no copy when they lie in the first buffer. */
  private take(n: number): Buffer {
    const first = this.pending[0]!;
    const out = first.length >= n ? first.subarray(0, n) : this.merge().subarray(0, n);
    const head = this.pending[0]!;
    if (head.length === n) this.pending.shift();
    else this.pending[0] = head.subarray(n);
    this.pendingLength -= n;
    return out;
  }

  private merge(): Buffer {
    const merged = Buffer.concat(this.pending, this.pendingLength);
    this.pending = [merged];
    return merged;
  }

  close(): void {
    this.decompressor.close();
  }
}

// The DNS message wire format (RFC 1035, AAAA RFC 3596, SRV RFC 2782, OPT RFC 6891):
// decoding with compression pointers (loop-safe), encoding with name compression, and the
// UDP size limit that sets TC when an answer does not fit.
import { isIPv4, isIPv6 } from 'node:net';

export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const;
export const CLASS_IN = 1;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
/** Without EDNS a UDP answer may not exceed this (RFC 1035 §4.2.1). */
export const CLASSIC_UDP_LIMIT = 512;

export interface Question {
  name: string;
  type: number;
  class: number;
}

export type RData =
  | { kind: 'A' | 'AAAA'; address: string }
  | { kind: 'NS' | 'CNAME' | 'PTR'; target: string }
  | { kind: 'SRV'; priority: number; weight: number; port: number; target: string }
  | { kind: 'SOA'; mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number }
  | { kind: 'raw'; bytes: Uint8Array };

export interface ResourceRecord {
  name: string;
  type: number;
  /** For OPT: the requestor's UDP payload size. */
  class: number;
  /** For OPT: extended rcode, version and flags. */
  ttl: number;
  data: RData;
}

export interface Header {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  rcode: number;
}

export interface Message {
  header: Header;
  questions: Question[];
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
}

export class DnsFormatError extends Error {
  override name = 'DnsFormatError';
}

// ---- decoding -------------------------------------------------------------------------

class Reader {
  readonly buf: Buffer;
  pos = 0;
  constructor(buf: Buffer) {
    this.buf = buf;
  }
  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new DnsFormatError(`message truncated at byte ${this.pos} (needed ${n} more)`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  /** A possibly compressed name; pointers may only point backwards, which rules out loops. */
  name(): string {
    const labels: string[] = [];
    let pos = this.pos;
    let jumped = false;
    let length = 0;
    for (;;) {
      if (pos >= this.buf.length) throw new DnsFormatError('name runs past the end of the message');
      const len = this.buf[pos]!;
      if ((len & 0xc0) === 0xc0) {
        if (pos + 1 >= this.buf.length) throw new DnsFormatError('truncated compression pointer');
        const target = ((len & 0x3f) << 8) | this.buf[pos + 1]!;
        if (target >= pos) throw new DnsFormatError(`compression pointer at ${pos} does not point backwards`);
        if (!jumped) this.pos = pos + 2;
        jumped = true;
        pos = target;
        continue;
      }
      if (len & 0xc0) throw new DnsFormatError(`unsupported label type 0x${len.toString(16)}`);
      pos++;
      if (len === 0) break;
      if (pos + len > this.buf.length) throw new DnsFormatError('label runs past the end of the message');
      length += len + 1;
      if (length > 255) throw new DnsFormatError('name longer than 255 octets');
      labels.push(this.buf.toString('latin1', pos, pos + len));
      pos += len;
    }
    if (!jumped) this.pos = pos;
    return labels.length === 0 ? '.' : `${labels.join('.')}.`;
  }
}

function ip4(bytes: Buffer): string {
  return [...bytes].join('.');
}

/** RFC 5952 text: lower-case hex, the longest run of two or more zero groups as "::". */
function ip6(bytes: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function readRData(r: Reader, type: number, length: number): RData {
  const end = r.pos + length;
  r.need(length);
  let data: RData;
  switch (type) {
    case TYPE.A:
      if (length !== 4) throw new DnsFormatError('A record data is not 4 bytes');
      data = { kind: 'A', address: ip4(r.bytes(4)) };
      break;
    case TYPE.AAAA:
      if (length !== 16) throw new DnsFormatError('AAAA record data is not 16 bytes');
      data = { kind: 'AAAA', address: ip6(r.bytes(16)) };
      break;
    case TYPE.NS:
    case TYPE.CNAME:
    case TYPE.PTR:
      data = { kind: type === TYPE.NS ? 'NS' : type === TYPE.CNAME ? 'CNAME' : 'PTR', target: r.name() };
      break;
    case TYPE.SRV:
      data = { kind: 'SRV', priority: r.u16(), weight: r.u16(), port: r.u16(), target: r.name() };
      break;
    case TYPE.SOA:
      data = { kind: 'SOA', mname: r.name(), rname: r.name(), serial: r.u32(), refresh: r.u32(), retry: r.u32(), expire: r.u32(), minimum: r.u32() };
      break;
    default:
      data = { kind: 'raw', bytes: Uint8Array.from(r.bytes(length)) };
  }
  if (r.pos !== end) throw new DnsFormatError(`record data of type ${type} does not match its length ${length}`);
  return data;
}

function readRecord(r: Reader): ResourceRecord {
  const name = r.name();
  const type = r.u16();
  const cls = r.u16();
  const ttl = r.u32();
  const length = r.u16();
  return { name, type, class: cls, ttl, data: readRData(r, type, length) };
}

export function decodeMessage(buf: Buffer): Message {
  const r = new Reader(buf);
  const id = r.u16();
  const flags = r.u16();
  const counts = [r.u16(), r.u16(), r.u16(), r.u16()] as const;
  const header: Header = {
    id,
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    rcode: flags & 0xf,
  };
  const questions: Question[] = [];
  for (let i = 0; i < counts[0]; i++) questions.push({ name: r.name(), type: r.u16(), class: r.u16() });
  const section = (n: number) => Array.from({ length: n }, () => readRecord(r));
  return { header, questions, answers: section(counts[1]), authorities: section(counts[2]), additionals: section(counts[3]) };
}

// ---- encoding -------------------------------------------------------------------------

class Writer {
  readonly chunks: Buffer[] = [];
  length = 0;
  /** Lower-cased name suffix → offset of its first occurrence, for compression pointers. */
  readonly offsets = new Map<string, number>();
  push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  u16(v: number): void {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v);
    this.push(b);
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0);
    this.push(b);
  }
  name(name: string, compress = true): void {
    const labels = name === '.' || name === '' ? [] : name.replace(/\.$/, '').split('.');
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).join('.').toLowerCase();
      const at = this.offsets.get(suffix);
      if (compress && at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (this.length < 0x4000) this.offsets.set(suffix, this.length);
      const label = Buffer.from(labels[i]!, 'latin1');
      if (label.length === 0 || label.length > 63) throw new DnsFormatError(`label ${JSON.stringify(labels[i])} must be 1-63 octets`);
      this.push(Buffer.from([label.length]));
      this.push(label);
    }
    this.push(Buffer.from([0]));
  }
  concat(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

function addressBytes(kind: 'A' | 'AAAA', address: string): Buffer {
  if (kind === 'A') {
    if (!isIPv4(address)) throw new DnsFormatError(`${address} is not an IPv4 address`);
    return Buffer.from(address.split('.').map(Number));
  }
  if (!isIPv6(address) || address.includes('.')) throw new DnsFormatError(`${address} is not a plain IPv6 address`);
  const [head, tail = ''] = address.split('::') as [string, string?];
  const h = head ? head.split(':') : [];
  const t = address.includes('::') && tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function writeRData(w: Writer, data: RData): void {
  switch (data.kind) {
    case 'A':
    case 'AAAA':
      w.push(addressBytes(data.kind, data.address));
      return;
    case 'NS':
    case 'CNAME':
    case 'PTR':
      w.name(data.target);
      return;
    case 'SRV':
      // RFC 2782: the target is not compressed.
      w.u16(data.priority);
      w.u16(data.weight);
      w.u16(data.port);
      w.name(data.target, false);
      return;
    case 'SOA':
      w.name(data.mname);
      w.name(data.rname);
      for (const v of [data.serial, data.refresh, data.retry, data.expire, data.minimum]) w.u32(v);
      return;
    case 'raw':
      w.push(Buffer.from(data.bytes));
  }
}

function writeRecord(w: Writer, rr: ResourceRecord): void {
  w.name(rr.name);
  w.u16(rr.type);
  w.u16(rr.class);
  w.u32(rr.ttl);
  const lengthAt = w.chunks.length;
  w.u16(0);
  const start = w.length;
  writeRData(w, rr.data);
  w.chunks[lengthAt]!.writeUInt16BE(w.length - start);
}

export function encodeMessage(msg: Message): Buffer {
  const w = new Writer();
  const h = msg.header;
  w.u16(h.id);
  w.u16(
    (h.qr ? 0x8000 : 0) | ((h.opcode & 0xf) << 11) | (h.aa ? 0x0400 : 0) | (h.tc ? 0x0200 : 0) | (h.rd ? 0x0100 : 0) | (h.ra ? 0x0080 : 0) | (h.rcode & 0xf),
  );
  for (const n of [msg.questions.length, msg.answers.length, msg.authorities.length, msg.additionals.length]) w.u16(n);
  for (const q of msg.questions) {
    w.name(q.name);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const rr of [...msg.answers, ...msg.authorities, ...msg.additionals]) writeRecord(w, rr);
  return w.concat();
}

/** The requestor's UDP payload size: from its OPT record, else 512. */
export function udpLimit(query: Message): number {
  const opt = query.additionals.find((rr) => rr.type === TYPE.OPT);
  return opt ? Math.max(CLASSIC_UDP_LIMIT, Math.min(opt.class, 65_535)) : CLASSIC_UDP_LIMIT;
}

/**
 * Encodes a response for UDP: when it exceeds `limit`, the records are dropped (keeping the
 * question and the OPT record) and TC is set, telling the client to retry over TCP.
 */
export function encodeForUdp(msg: Message, limit: number): Buffer {
  const full = encodeMessage(msg);
  if (full.length <= limit) return full;
  const opt = msg.additionals.filter((rr) => rr.type === TYPE.OPT);
  return encodeMessage({ ...msg, header: { ...msg.header, tc: true }, answers: [], authorities: [], additionals: opt });
}

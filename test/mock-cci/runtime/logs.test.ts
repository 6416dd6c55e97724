import { describe, expect, it } from 'vitest';
import { ContainerLog } from '../../../src/mock-cci/runtime/container-log.ts';
import { ByteLimit, formatLine, formatRfc3339Nano, parseRfc3339, selectLines, type LogLine } from '../../../src/mock-cci/runtime/log-lines.ts';
import { parseLogQuery } from '../../../src/mock-cci/routes-logs.ts';

const S = 1_000_000_000n;
const T0 = parseRfc3339('2026-01-02T03:04:05Z');
const line = (sec: number, text: string): LogLine => ({ ns: T0 + BigInt(sec) * S, stream: 'stdout', data: Buffer.from(text + '\n') });
const lines = [line(0, 'a'), line(1, 'b'), line(2, 'c'), line(3, 'd')];
const texts = (ls: LogLine[]): string => ls.map((l) => l.data.toString()).join('');

describe('RFC 3339 times', () => {
  it.each([
    [T0, '2026-01-02T03:04:05Z'],
    [T0 + 123_456_789n, '2026-01-02T03:04:05.123456789Z'],
    [T0 + 120_000_000n, '2026-01-02T03:04:05.12Z'],
    [T0 + 1n, '2026-01-02T03:04:05.000000001Z'],
  ])('%s ns formats as %s and parses back', (ns, text) => {
    expect(formatRfc3339Nano(ns)).toBe(text);
    expect(parseRfc3339(text)).toBe(ns);
  });
  it('parses offsets', () => expect(parseRfc3339('2026-01-02T05:04:05.5+02:00')).toBe(T0 + 500_000_000n));
  it('rejects garbage', () => expect(() => parseRfc3339('yesterday')).toThrow(/RFC 3339/));
});

describe('selectLines', () => {
  it.each([
    ['all', {}, 'a\nb\nc\nd\n'],
    ['tail 2', { tailLines: 2 }, 'c\nd\n'],
    ['tail 0', { tailLines: 0 }, ''],
    ['tail 10', { tailLines: 10 }, 'a\nb\nc\nd\n'],
    ['since +2s', { sinceNs: T0 + 2n * S }, 'c\nd\n'],
    ['since +1s, tail 1', { sinceNs: T0 + S, tailLines: 1 }, 'd\n'],
  ])('%s', (_name, sel, out) => expect(texts(selectLines(lines, sel))).toBe(out));
});

describe('formatting and limits', () => {
  it('prefixes timestamps', () => expect(formatLine(line(1, 'b'), true).toString()).toBe('2026-01-02T03:04:06Z b\n'));
  it('limits bytes across chunks', () => {
    const limit = new ByteLimit(5);
    expect([limit.take(Buffer.from('abc')).toString(), limit.take(Buffer.from('defg')).toString(), limit.exhausted]).toEqual(['abc', 'de', true]);
  });
});

describe('ContainerLog', () => {
  it('splits chunks into lines per stream and flushes a partial last line at the end', () => {
    const log = new ContainerLog();
    log.write('stdout', Buffer.from('hel'));
    log.write('stderr', Buffer.from('oops\n'));
    log.write('stdout', Buffer.from('lo\nwor'));
    log.end();
    expect(log.lines.map((l) => [l.stream, l.data.toString()])).toEqual([['stderr', 'oops\n'], ['stdout', 'hello\n'], ['stdout', 'wor']]);
    expect(log.lines[1]!.ns >= log.lines[0]!.ns).toBe(true);
  });
});

describe('parseLogQuery', () => {
  it('reads every option', () => {
    expect(parseLogQuery({ container: 'c', follow: 'true', previous: '1', timestamps: 'true', tailLines: '5', limitBytes: '10', sinceSeconds: '2' }, T0)).toEqual({
      container: 'c', follow: true, previous: true, timestamps: true, tailLines: 5, limitBytes: 10, sinceNs: T0 - 2n * S,
    });
    expect(parseLogQuery({ sinceTime: '2026-01-02T03:04:05Z' }, 0n).sinceNs).toBe(T0);
  });
  it.each([
    [{ sinceSeconds: '1', sinceTime: '2026-01-02T03:04:05Z' }, /at most one/],
    [{ tailLines: '-1' }, /tailLines/],
    [{ limitBytes: '0' }, /limitBytes/],
    [{ sinceTime: 'now' }, /sinceTime/],
  ])('rejects %j', (q, msg) => expect(() => parseLogQuery(q, T0)).toThrow(msg));
});

import { describe, expect, it } from 'vitest';
import {
  ChannelProtocolError,
  decodeChannelMessage,
  decodeResize,
  encodeChannelMessage,
  encodeCloseMessage,
  encodeResize,
  negotiateChannelProtocol,
  parseProtocolHeader,
  WS_PROTOCOL,
  type WsChannelProtocol,
} from '../../src/streams/websocket-channels.ts';
import { decodeResult, encodeResult } from '../../src/streams/exec-status.ts';

const asBuffer = (m: Buffer | string): Buffer => (typeof m === 'string' ? Buffer.from(m) : m);

describe('channel message codec', () => {
  it.each([
    [WS_PROTOCOL.binary, 1, 'foo\n', Buffer.from([1, 102, 111, 111, 10])],
    [WS_PROTOCOL.v4, 0, '', Buffer.from([0])],
    [WS_PROTOCOL.v5, 2, 'x', Buffer.from([2, 120])],
    // wsstream's own example: "\n" on stdout is "1Cg==".
    [WS_PROTOCOL.base64, 1, '\n', Buffer.from('1Cg==')],
    [WS_PROTOCOL.v4base64, 0, 'foo\n', Buffer.from('0Zm9vCg==')],
  ] as [WsChannelProtocol, number, string, Buffer][])('%s channel %i %j', (protocol, channel, text, wire) => {
    const encoded = encodeChannelMessage(protocol, channel, Buffer.from(text));
    expect(asBuffer(encoded)).toEqual(wire);
    expect(typeof encoded).toBe(protocol.includes('base64') ? 'string' : 'object');
    expect(decodeChannelMessage(protocol, wire)).toEqual({ kind: 'data', channel, data: Buffer.from(text) });
  });

  it('round-trips every byte value', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    for (const p of Object.values(WS_PROTOCOL)) {
      const decoded = decodeChannelMessage(p, asBuffer(encodeChannelMessage(p, 1, all)));
      expect(decoded).toEqual({ kind: 'data', channel: 1, data: all });
    }
  });

  it('decodes the v5 close message only under v5', () => {
    expect(decodeChannelMessage(WS_PROTOCOL.v5, encodeCloseMessage(0))).toEqual({ kind: 'close', channel: 0 });
    expect(decodeChannelMessage(WS_PROTOCOL.v4, Buffer.from([255, 0]))).toEqual({ kind: 'data', channel: 255, data: Buffer.from([0]) });
    expect(() => decodeChannelMessage(WS_PROTOCOL.v5, Buffer.from([255, 0, 1]))).toThrow(ChannelProtocolError);
  });

  it('treats an empty message as empty and rejects bad base64', () => {
    expect(decodeChannelMessage(WS_PROTOCOL.v4, Buffer.alloc(0))).toEqual({ kind: 'empty' });
    expect(() => decodeChannelMessage(WS_PROTOCOL.base64, Buffer.from('x!!'))).toThrow(ChannelProtocolError);
    expect(() => decodeChannelMessage(WS_PROTOCOL.base64, Buffer.from('1%%%'))).toThrow(ChannelProtocolError);
  });
});

describe('subprotocol negotiation', () => {
  it.each([
    [['v5.channel.k8s.io', 'v4.channel.k8s.io', 'channel.k8s.io'], 'v5.channel.k8s.io'],
    [['v4.channel.k8s.io', 'v5.channel.k8s.io'], 'v4.channel.k8s.io'], // the client's order wins
    [['base64.channel.k8s.io'], 'base64.channel.k8s.io'],
    [[], 'channel.k8s.io'],
    [['SPDY/3.1+portforward.k8s.io'], null],
  ] as [string[], string | null][])('%j → %s', (offered, chosen) => {
    expect(negotiateChannelProtocol(offered)).toBe(chosen);
  });

  it('parses repeated and comma-separated headers', () => {
    expect(parseProtocolHeader(['a, b', 'c'])).toEqual(['a', 'b', 'c']);
    expect(parseProtocolHeader(undefined)).toEqual([]);
  });
});

describe('resize payload', () => {
  it('round-trips and rejects nonsense', () => {
    expect(encodeResize({ width: 80, height: 24 }).toString()).toBe('{"Width":80,"Height":24}');
    expect(decodeResize('{"Width":80,"Height":24}')).toEqual({ width: 80, height: 24 });
    for (const bad of ['{', '{"Width":-1,"Height":2}', '{"Width":"80","Height":24}', 'null', '[]']) expect(decodeResize(bad)).toBeNull();
  });
});

describe('exec status on the error stream', () => {
  it.each([
    [{ exitCode: 0 }, true, '{"metadata":{},"status":"Success"}'],
    [{ exitCode: 0 }, false, null],
    [
      { exitCode: 3 },
      true,
      '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: exit status 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}',
    ],
    [{ exitCode: 3 }, false, 'command terminated with non-zero exit code: exit status 3'],
    [{ error: 'container not found ("x")' }, false, 'container not found ("x")'],
  ] as const)('%j structured=%s', (result, structured, wire) => {
    const bytes = encodeResult(result, structured);
    expect(bytes?.toString() ?? null).toBe(wire);
    const back = decodeResult(bytes ?? Buffer.alloc(0), structured);
    if (!structured && 'exitCode' in result && result.exitCode !== 0) expect(back).toEqual({ error: wire });
    else expect(back).toEqual(result);
  });

  it('reads a kubelet internal error status', () => {
    const s = encodeResult({ error: 'boom' }, true)!;
    expect(JSON.parse(s.toString())).toMatchObject({ status: 'Failure', reason: 'InternalError', code: 500, message: 'boom' });
    expect(decodeResult(s, true)).toEqual({ error: 'boom' });
  });
});

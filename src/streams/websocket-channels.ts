// The Kubernetes WebSocket channel protocols (k8s.io/apimachinery wsstream and the kubelet's
// remote command): every message starts with the channel it belongs to. The binary protocols
// prefix one byte; the base64 ones prefix an ASCII digit and base64 the payload in a text
// message. v5 adds a close message [255, channel] that half-closes one channel (stdin EOF).

export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4 } as const;
export type ChannelName = keyof typeof CHANNEL;

/** The first byte of a v5 close message; the second byte is the channel being closed. */
export const STREAM_CLOSE = 255;

export const WS_PROTOCOL = {
  v5: 'v5.channel.k8s.io',
  v4: 'v4.channel.k8s.io',
  v4base64: 'v4.base64.channel.k8s.io',
  binary: 'channel.k8s.io',
  base64: 'base64.channel.k8s.io',
} as const;
export type WsChannelProtocol = (typeof WS_PROTOCOL)[keyof typeof WS_PROTOCOL];

/** What the kubelet accepts for exec/attach, in its order of preference. */
export const REMOTE_COMMAND_WS_PROTOCOLS: readonly WsChannelProtocol[] = [
  WS_PROTOCOL.v5,
  WS_PROTOCOL.v4,
  WS_PROTOCOL.v4base64,
  WS_PROTOCOL.binary,
  WS_PROTOCOL.base64,
];

export function isBase64Protocol(protocol: WsChannelProtocol): boolean {
  return protocol === WS_PROTOCOL.base64 || protocol === WS_PROTOCOL.v4base64;
}

/** v4 and later carry a metav1.Status on the error channel and accept resize messages. */
export function isStructuredStatusProtocol(protocol: WsChannelProtocol): boolean {
  return protocol !== WS_PROTOCOL.binary && protocol !== WS_PROTOCOL.base64;
}

export function supportsStreamClose(protocol: WsChannelProtocol): boolean {
  return protocol === WS_PROTOCOL.v5;
}

/**
 * Picks the subprotocol like wsstream's handshake: the first one the client offers that the
 * server supports. A client that offers none gets `channel.k8s.io` (the empty protocol).
 * Returns null when nothing offered is supported.
 */
export function negotiateChannelProtocol<P extends string = WsChannelProtocol>(
  offered: readonly string[],
  supported: readonly P[] = REMOTE_COMMAND_WS_PROTOCOLS as readonly string[] as readonly P[],
): P | null {
  if (offered.length === 0) return supported.find((p) => p === WS_PROTOCOL.binary) ?? null;
  for (const candidate of offered) {
    const hit = supported.find((p) => p === candidate.trim());
    if (hit) return hit;
  }
  return null;
}

/** Splits a Sec-WebSocket-Protocol header value (comma separated, possibly repeated). */
export function parseProtocolHeader(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const joined = Array.isArray(value) ? value.join(',') : value;
  return joined
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/** One message ready for `ws.send`: binary protocols send Buffers, base64 ones text. */
export type ChannelMessage = Buffer | string;

/** `into`: a buffer to frame a binary message in, when it is big enough (saves an allocation). */
export function encodeChannelMessage(protocol: WsChannelProtocol, channel: number, data: Uint8Array, into?: Buffer): ChannelMessage {
  if (isBase64Protocol(protocol)) {
    return String.fromCharCode(48 + channel) + Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
  }
  const frame = into && into.length > data.byteLength ? into.subarray(0, data.byteLength + 1) : Buffer.allocUnsafe(data.byteLength + 1);
  frame[0] = channel;
  frame.set(data, 1);
  return frame;
}

export function encodeCloseMessage(channel: number): Buffer {
  return Buffer.from([STREAM_CLOSE, channel]);
}

export type DecodedChannelMessage =
  | { kind: 'data'; channel: number; data: Buffer }
  | { kind: 'close'; channel: number }
  | { kind: 'empty' };

export class ChannelProtocolError extends Error {
  override name = 'ChannelProtocolError';
}

/** Decodes one received message; throws ChannelProtocolError on a malformed one. */
export function decodeChannelMessage(protocol: WsChannelProtocol, message: Buffer): DecodedChannelMessage {
  if (message.length === 0) return { kind: 'empty' };
  const first = message[0]!;
  if (supportsStreamClose(protocol) && first === STREAM_CLOSE) {
    if (message.length !== 2) throw new ChannelProtocolError(`close message must be 2 bytes, got ${message.length}`);
    return { kind: 'close', channel: message[1]! };
  }
  if (isBase64Protocol(protocol)) {
    const channel = first - 48;
    if (channel < 0 || channel > 9) throw new ChannelProtocolError(`base64 channel prefix ${JSON.stringify(String.fromCharCode(first))} is not a digit`);
    const text = message.subarray(1).toString('latin1');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new ChannelProtocolError(`channel ${channel} payload is not base64`);
    return { kind: 'data', channel, data: Buffer.from(text, 'base64') };
  }
  return { kind: 'data', channel: first, data: message.subarray(1) };
}

export interface TerminalSize {
  width: number;
  height: number;
}

/** The resize payload shared by WebSocket and SPDY: `{"Width":W,"Height":H}`. */
export function encodeResize(size: TerminalSize): Buffer {
  return Buffer.from(JSON.stringify({ Width: size.width, Height: size.height }));
}

/** Parses one resize message; returns null for anything that is not a pair of sane integers. */
export function decodeResize(data: Buffer | string): TerminalSize | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString());
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { Width, Height } = parsed as { Width?: unknown; Height?: unknown };
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffff;
  return ok(Width) && ok(Height) ? { width: Width, height: Height } : null;
}

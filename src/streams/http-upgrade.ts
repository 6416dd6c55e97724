// HTTP/1.1 connection upgrades, both ways, independent of what is spoken afterwards.
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import { endAfterWritten } from './stream-end.ts';

export type UpgradeOutcome =
  | { upgraded: true; socket: Socket; head: Buffer; headers: http.IncomingHttpHeaders }
  | { upgraded: false; status: number; headers: http.IncomingHttpHeaders; body: Buffer };

export interface DialUpgradeOptions {
  url: URL;
  method: string;
  /** Must include Connection/Upgrade; values that are arrays become repeated header lines. */
  headers: Record<string, string | string[]>;
  tls?: ConnectionOptions;
  timeoutMs?: number;
}

const MAX_ERROR_BODY = 64 * 1024;

/** Sends an upgrade request; resolves with the upgraded socket or the refusal (status, body). */
export function dialUpgrade(options: DialUpgradeOptions): Promise<UpgradeOutcome> {
  const secure = options.url.protocol === 'https:' || options.url.protocol === 'wss:';
  const request = (secure ? https.request : http.request)(options.url, {
    method: options.method,
    headers: options.headers,
    agent: false,
    ...(secure ? options.tls : {}),
    timeout: options.timeoutMs ?? 30_000,
  });
  return new Promise((resolve, reject) => {
    request.on('upgrade', (res, socket, head) => {
      resolve({ upgraded: true, socket, head, headers: res.headers });
    });
    request.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < MAX_ERROR_BODY) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => resolve({ upgraded: false, status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`upgrade request to ${options.url.host} timed out`)));
    request.on('error', reject);
    request.end();
  });
}

/** Splits header values that may be repeated and/or comma-joined (Node joins unknown repeats). */
export function headerList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** Writes a complete HTTP/1.1 response on a raw socket and closes it (for refused upgrades). */
export function refuseUpgrade(socket: Duplex, status: number, reason: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  const payload = typeof body === 'string' ? Buffer.from(body) : body;
  const lines = [`HTTP/1.1 ${status} ${reason}`, `Content-Length: ${payload.length}`, 'Connection: close'];
  if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) lines.push('Content-Type: text/plain; charset=utf-8');
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  socket.end(Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n'), payload]));
}

/** Writes a 101 response with the given headers on a raw socket. */
export function switchProtocols(socket: Duplex, headers: Record<string, string>): void {
  const lines = ['HTTP/1.1 101 Switching Protocols', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  socket.write(lines.join('\r\n') + '\r\n\r\n');
}

/**
 * Joins two upgraded connections byte for byte. A side that ends cleanly has pipe() end the
 * other after the last byte, which is closed once that is flushed: destroying it at once would
 * drop what its slow reader had not taken yet. A side that fails takes the other down at once.
 */
export function spliceSockets(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  const closeOther = (closed: Duplex, other: Duplex) => (): void => {
    if (!closed.readableEnded || closed.errored) other.destroy();
    else endAfterWritten(other);
  };
  a.once('close', closeOther(a, b));
  b.once('close', closeOther(b, a));
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
}

// The SPDY/3.1 HTTP upgrade as k8s.io/apimachinery's httpstream does it: `Upgrade: SPDY/3.1`,
// the client lists protocols in X-Stream-Protocol-Version (first one the server supports wins),
// the 101 echoes the chosen one; no common protocol → 403 listing what the server accepts.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import { dialUpgrade, headerList, refuseUpgrade, switchProtocols } from '../http-upgrade.ts';
import { SpdySession, type SpdySessionOptions } from './session.ts';

export const SPDY_UPGRADE = 'SPDY/3.1';
export const STREAM_PROTOCOL_HEADER = 'X-Stream-Protocol-Version';
export const ACCEPTED_PROTOCOLS_HEADER = 'X-Accepted-Stream-Protocol-Versions';

export function isSpdyUpgrade(req: IncomingMessage): boolean {
  return headerList(req.headers.upgrade).some((u) => u.toLowerCase() === SPDY_UPGRADE.toLowerCase());
}

/**
 * Picks the protocol: the first the client offers that the server supports. An empty string
 * means the client offered none (old clients; callers fall back to their oldest protocol).
 * null means no overlap.
 */
export function negotiateStreamProtocol(offered: readonly string[], supported: readonly string[]): string | null {
  if (offered.length === 0) return '';
  return offered.find((p) => supported.includes(p)) ?? null;
}

export interface AcceptedSpdy {
  session: SpdySession;
  protocol: string;
}

/** Completes a SPDY upgrade on a raw socket; on refusal answers the client itself and returns null. */
export function acceptSpdyUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  supported: readonly string[],
  options: SpdySessionOptions = {},
): AcceptedSpdy | null {
  const connection = headerList(req.headers.connection).map((c) => c.toLowerCase());
  if (!isSpdyUpgrade(req) || !connection.includes('upgrade')) {
    refuseUpgrade(socket, 400, 'Bad Request', `unable to upgrade: missing upgrade headers in request: ${JSON.stringify({ connection: req.headers.connection, upgrade: req.headers.upgrade })}\n`);
    return null;
  }
  const offered = headerList(req.headers[STREAM_PROTOCOL_HEADER.toLowerCase()]);
  const protocol = negotiateStreamProtocol(offered, supported);
  if (protocol === null) {
    refuseUpgrade(
      socket,
      403,
      'Forbidden',
      `unable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(offered)}, server supports ${JSON.stringify(supported)}\n`,
      { [ACCEPTED_PROTOCOLS_HEADER]: supported.join(', ') },
    );
    return null;
  }
  const headers: Record<string, string> = { Connection: 'Upgrade', Upgrade: SPDY_UPGRADE };
  if (protocol !== '') headers[STREAM_PROTOCOL_HEADER] = protocol;
  switchProtocols(socket, headers);
  return { session: new SpdySession(socket, 'server', options, head), protocol };
}

export interface DialSpdyOptions {
  url: URL;
  method?: 'GET' | 'POST';
  protocols: readonly string[];
  headers?: Record<string, string>;
  tls?: ConnectionOptions;
  session?: SpdySessionOptions;
}

/** The error a refused SPDY dial carries: the peer's status and body, to relay to a user. */
export class UpgradeRefusedError extends Error {
  override name = 'UpgradeRefusedError';
  readonly status: number;
  readonly body: Buffer;
  readonly contentType: string | undefined;
  constructor(status: number, body: Buffer, contentType: string | undefined) {
    super(`upgrade refused with HTTP ${status}: ${body.toString('utf8').trim().slice(0, 500)}`);
    this.status = status;
    this.body = body;
    this.contentType = contentType;
  }
}

/** Dials a SPDY/3.1 endpoint as the client; rejects with UpgradeRefusedError on a non-101. */
export async function dialSpdy(options: DialSpdyOptions): Promise<AcceptedSpdy> {
  const outcome = await dialUpgrade({
    url: options.url,
    method: options.method ?? 'POST',
    headers: { ...options.headers, Connection: 'Upgrade', Upgrade: SPDY_UPGRADE, [STREAM_PROTOCOL_HEADER]: [...options.protocols] },
    tls: options.tls,
  });
  if (!outcome.upgraded) throw new UpgradeRefusedError(outcome.status, outcome.body, outcome.headers['content-type']);
  const protocol = headerList(outcome.headers[STREAM_PROTOCOL_HEADER.toLowerCase()])[0] ?? '';
  if (options.protocols.length > 0 && !options.protocols.includes(protocol)) {
    outcome.socket.destroy();
    throw new Error(`the server chose stream protocol ${JSON.stringify(protocol)}, which was not offered`);
  }
  return { session: new SpdySession(outcome.socket, 'client', options.session, outcome.head), protocol };
}

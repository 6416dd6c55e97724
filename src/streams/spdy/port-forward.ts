// The `portforward.k8s.io` protocol over SPDY: each forwarded connection is a pair of streams,
// an error stream and a data stream, both carrying `port` and `requestID` headers. A session
// carries any number of pairs. The client opens the error stream first; for old clients that
// send no requestID the kubelet pairs by stream id (data id = error id + 2), and so do we.
import type { Duplex } from 'node:stream';
import type { SpdySession } from './session.ts';
import type { SpdyStream } from './stream.ts';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const PORT_FORWARD_SPDY_PROTOCOLS: readonly string[] = [PORT_FORWARD_PROTOCOL];

export interface ForwardedConnection {
  port: number;
  requestId: string;
  /** Bytes to and from the pod's port; end() half-closes towards the client. */
  stream: Duplex;
  /** Reports a failure to the client (kubectl prints it) and closes the pair. */
  fail(message: string): void;
}

function parsePort(raw: string | undefined): number | null {
  if (raw === undefined || !/^\d+$/.test(raw)) return null;
  const n = Number(raw);
  return n >= 1 && n <= 65535 ? n : null;
}

function requestIdOf(stream: SpdyStream, type: string): string {
  const id = stream.header('requestid');
  if (id !== undefined && id !== '') return id;
  return String(type === 'data' ? stream.id - 2 : stream.id);
}

/** Serves port-forward pairs on a session until it closes; each complete pair goes to `onForward`. */
export function servePortForward(session: SpdySession, onForward: (conn: ForwardedConnection) => void, pairTimeoutMs = 30_000): void {
  const pending = new Map<string, { error?: SpdyStream; data?: SpdyStream; timer: NodeJS.Timeout }>();

  session.on('stream', (stream) => {
    const type = stream.header('streamtype');
    if (type !== 'error' && type !== 'data') {
      stream.destroy();
      return;
    }
    const requestId = requestIdOf(stream, type);
    let pair = pending.get(requestId);
    if (!pair) {
      const timer = setTimeout(() => {
        pending.delete(requestId);
        const p = pair!;
        p.error?.end(`timed out waiting for the ${p.error ? 'data' : 'error'} stream of request ${requestId}`);
        p.data?.destroy();
      }, pairTimeoutMs);
      pair = { timer };
      pending.set(requestId, pair);
    }
    if (pair[type]) {
      stream.destroy(); // a second stream of the same kind for one request
      return;
    }
    pair[type] = stream;
    if (!pair.error || !pair.data) return;
    clearTimeout(pair.timer);
    pending.delete(requestId);
    const { error, data } = pair;
    error.resume(); // the client only half-closes it
    const port = parsePort(data.header('port'));
    let failed = false;
    const fail = (message: string): void => {
      if (failed) return;
      failed = true;
      if (!error.writableEnded) error.end(message);
      if (!data.writableEnded) data.end();
    };
    if (port === null) return fail(`invalid port header ${JSON.stringify(data.header('port'))}: want an integer 1-65535`);
    // A clean end of the data stream closes the error stream too, as the kubelet's handler does.
    data.once('finish', () => {
      if (!failed && !error.writableEnded) error.end();
    });
    data.once('close', () => {
      if (!error.writableEnded) error.end();
    });
    onForward({ port, requestId, stream: data, fail });
  });

  session.once('close', () => {
    for (const pair of pending.values()) clearTimeout(pair.timer);
    pending.clear();
  });
}

export interface PortForwardClientConnection {
  stream: Duplex;
  /** Whatever the server wrote on the error stream ('' when nothing went wrong). */
  errors: Promise<string>;
}

/** Opens one forwarded connection to `port` on a session dialled with portforward.k8s.io. */
export async function openPortForward(session: SpdySession, port: number, requestId: string): Promise<PortForwardClientConnection> {
  const headers = { port: String(port), requestid: requestId };
  const error = await session.createStream({ ...headers, streamtype: 'error' });
  error.end();
  const errors = new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    error.on('data', (c: Buffer) => chunks.push(c));
    const done = (): void => resolve(Buffer.concat(chunks).toString('utf8'));
    error.once('end', done);
    error.once('close', done);
  });
  const data = await session.createStream({ ...headers, streamtype: 'data' });
  return { stream: data, errors };
}

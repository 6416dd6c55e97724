// Remote command (exec/attach) over SPDY, protocols v1–v4 (k8s.io/client-go remotecommand and
// the kubelet's server): the client opens one stream per channel, named by the `streamType`
// header; the server waits for the streams it expects, runs the command, writes the outcome on
// the error stream (a metav1.Status from v4 on, plain text before) and closes the connection.
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { AsyncQueue } from '../async-queue.ts';
import { decodeResult, encodeResult, type RemoteCommandResult } from '../exec-status.ts';
import type { RemoteCommandClient, RemoteCommandOptions, RemoteCommandSession } from '../remote-command.ts';
import { decodeResize, encodeResize, type TerminalSize } from '../websocket-channels.ts';
import type { SpdySession } from './session.ts';
import type { SpdyStream } from './stream.ts';

export const SPDY_REMOTE_COMMAND = {
  v4: 'v4.channel.k8s.io',
  v3: 'v3.channel.k8s.io',
  v2: 'v2.channel.k8s.io',
  v1: 'channel.k8s.io',
} as const;

/** Server preference order (the client's order decides, see negotiateStreamProtocol). */
export const REMOTE_COMMAND_SPDY_PROTOCOLS: readonly string[] = [SPDY_REMOTE_COMMAND.v4, SPDY_REMOTE_COMMAND.v3, SPDY_REMOTE_COMMAND.v2, SPDY_REMOTE_COMMAND.v1];

type StreamType = 'error' | 'stdin' | 'stdout' | 'stderr' | 'resize';

const isStructured = (protocol: string): boolean => protocol === SPDY_REMOTE_COMMAND.v4;
const supportsResize = (protocol: string): boolean => protocol === SPDY_REMOTE_COMMAND.v4 || protocol === SPDY_REMOTE_COMMAND.v3;

function expectedStreams(protocol: string, options: RemoteCommandOptions): StreamType[] {
  const types: StreamType[] = ['error'];
  if (options.stdin) types.push('stdin');
  if (options.stdout) types.push('stdout');
  if (options.stderr && !options.tty) types.push('stderr');
  if (options.tty && supportsResize(protocol)) types.push('resize');
  return types;
}

/** Splits a byte stream of concatenated JSON objects (Go's json.Encoder output) into objects. */
export function jsonObjectSplitter(onObject: (text: string) => void): (chunk: Buffer) => void {
  let buffered = '';
  return (chunk) => {
    buffered += chunk.toString('utf8');
    let depth = 0;
    let start = -1;
    let consumed = 0;
    for (let i = 0; i < buffered.length; i++) {
      const c = buffered[i];
      if (c === '{') {
        if (depth === 0) start = i;
        depth++;
      } else if (c === '}' && depth > 0) {
        depth--;
        if (depth === 0) {
          onObject(buffered.slice(start, i + 1));
          consumed = i + 1;
        }
      }
    }
    buffered = depth === 0 ? '' : buffered.slice(consumed);
    if (buffered.length > 4096) buffered = ''; // not a resize stream; drop rather than grow
  };
}

function resizeQueue(stream: SpdyStream): AsyncQueue<TerminalSize> {
  const queue = new AsyncQueue<TerminalSize>();
  const split = jsonObjectSplitter((text) => {
    const size = decodeResize(text);
    if (size) queue.push(size);
  });
  stream.on('data', split);
  stream.on('end', () => queue.end());
  stream.on('close', () => queue.end());
  return queue;
}

async function endAndWait(w: Writable | null): Promise<void> {
  if (!w || w.writableFinished || w.destroyed) return;
  const done = Promise.race([once(w, 'finish'), once(w, 'close')]).catch(() => undefined);
  if (!w.writableEnded) w.end();
  await done;
}

/**
 * Waits (up to `timeoutMs`) for the client to open the streams this exec needs, then hands
 * them over as a session. On timeout the client is told on the error stream and dropped.
 */
export function serveSpdyRemoteCommand(
  session: SpdySession,
  protocol: string,
  options: RemoteCommandOptions,
  timeoutMs = 30_000,
): Promise<RemoteCommandSession> {
  const wanted = new Set(expectedStreams(protocol, options));
  const got = new Map<StreamType, SpdyStream>();
  return new Promise((resolve, reject) => {
    const fail = (message: string): void => {
      cleanup();
      const errorStream = got.get('error');
      const text = encodeResult({ error: message }, isStructured(protocol));
      if (errorStream && text) errorStream.end(text);
      session.close();
      reject(new Error(message));
    };
    const timer = setTimeout(() => fail(`timed out waiting for client to create streams: got [${[...got.keys()].join(', ')}], want [${[...wanted].join(', ')}]`), timeoutMs);
    const onClose = (): void => {
      cleanup();
      reject(new Error('the client went away before opening its streams'));
    };
    const onStream = (stream: SpdyStream): void => {
      const type = stream.header('streamtype') as StreamType | undefined;
      if (!type || !wanted.has(type) || got.has(type)) {
        stream.destroy(); // unknown or duplicate stream: reset it, keep the session
        return;
      }
      got.set(type, stream);
      if (got.size === wanted.size) {
        cleanup();
        resolve(buildSession(session, protocol, options, got));
      }
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      session.off('stream', onStream);
      session.off('close', onClose);
    };
    session.on('stream', onStream);
    session.on('close', onClose);
  });
}

function buildSession(session: SpdySession, protocol: string, options: RemoteCommandOptions, got: Map<StreamType, SpdyStream>): RemoteCommandSession {
  const errorStream = got.get('error')!;
  errorStream.resume(); // the client never writes here; drain its FIN
  const stdout = got.get('stdout') ?? null;
  const stderr = got.get('stderr') ?? null;
  const resize = got.get('resize');
  let finishing: Promise<void> | null = null;
  return {
    protocol,
    tty: options.tty,
    stdin: got.get('stdin') ?? null,
    stdout,
    stderr,
    resizes: resize ? resizeQueue(resize) : null,
    closed: session.closed.then(() => undefined),
    abort: () => session.destroy(),
    finish(result: RemoteCommandResult) {
      finishing ??= (async () => {
        await Promise.all([endAndWait(stdout), endAndWait(stderr)]);
        const status = encodeResult(result, isStructured(protocol));
        if (status) errorStream.write(status);
        await endAndWait(errorStream);
        session.close();
      })();
      return finishing;
    },
  };
}

function readAll(stream: Readable): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

/** Runs the client side: opens the streams in client-go's order and exposes them. */
export async function openSpdyRemoteCommand(session: SpdySession, protocol: string, options: RemoteCommandOptions): Promise<RemoteCommandClient> {
  // All SYN_STREAMs go out at once (error first, as client-go orders them); one round trip.
  const types = expectedStreams(protocol, options);
  const opened = await Promise.all(types.map((type) => session.createStream({ streamtype: type })));
  const streams = new Map<StreamType, SpdyStream>(types.map((t, i) => [t, opened[i]!]));
  const errorStream = streams.get('error')!;
  errorStream.end(); // client-go never writes on the error stream
  const stdout = streams.get('stdout') ?? null;
  const stderr = streams.get('stderr') ?? null;
  const resize = streams.get('resize') ?? null;
  const errorBytes = readAll(errorStream);
  // The server ends stdout and stderr before it writes the status, so once the error stream is
  // done their data has arrived. The result does not wait for the caller to read it: a caller
  // that never reads stderr must still get its result.
  const result = (async (): Promise<RemoteCommandResult> => {
    const bytes = await errorBytes;
    if (bytes.length === 0 && isStructured(protocol) && session.isClosed) {
      throw new Error('exec connection closed before the command reported its status');
    }
    return decodeResult(bytes, isStructured(protocol));
  })();
  result.catch(() => undefined); // callers that only close() must not crash the process
  return {
    protocol,
    stdin: streams.get('stdin') ?? null,
    stdout,
    stderr,
    result,
    resize(size: TerminalSize) {
      if (resize && !resize.writableEnded) resize.write(Buffer.concat([encodeResize(size), Buffer.from('\n')]));
    },
    close: () => session.destroy(),
  };
}

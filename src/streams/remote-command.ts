// Protocol-neutral remote command (exec/attach) streams. A server-side session is what a
// handler gets when a client connects (over SPDY or WebSocket); a client is what a caller
// gets when it dials one. The protocol adapters live next to this file.
import type { IncomingMessage } from 'node:http';
import type { Duplex, Readable, Writable } from 'node:stream';
import { forwardChunks } from './chunk-forward.ts';
import type { RemoteCommandResult } from './exec-status.ts';
import { refuseUpgrade } from './http-upgrade.ts';
import { REMOTE_COMMAND_SPDY_PROTOCOLS, serveSpdyRemoteCommand } from './spdy/remote-command.ts';
import { acceptSpdyUpgrade, isSpdyUpgrade } from './spdy/upgrade.ts';
import { REMOTE_COMMAND_WS_PROTOCOLS, type TerminalSize } from './websocket-channels.ts';
import { serveWebSocketRemoteCommand } from './websocket-remote-command.ts';
import { acceptWebSocket, isWebSocketUpgrade } from './websocket-upgrade.ts';
import { errorMessage } from '../log/error-message.ts';

export type { RemoteCommandResult } from './exec-status.ts';
export type { TerminalSize } from './websocket-channels.ts';

export interface RemoteCommandOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** The server's view of one exec/attach: read stdin, write stdout/stderr, report the result. */
export interface RemoteCommandSession {
  readonly protocol: string;
  readonly tty: boolean;
  readonly stdin: Readable | null;
  readonly stdout: Writable | null;
  readonly stderr: Writable | null;
  readonly resizes: AsyncIterable<TerminalSize> | null;
  /** Flushes stdout/stderr, sends the result on the error stream and closes the connection. */
  finish(result: RemoteCommandResult): Promise<void>;
  /** Drops the connection at once (backend failure, shutdown). */
  abort(): void;
  /** Resolves when the connection is gone, whoever closed it: the signal to free the backend. */
  readonly closed: Promise<void>;
}

/** The client's view: write stdin (end() half-closes it), read stdout/stderr, await the result. */
export interface RemoteCommandClient {
  readonly protocol: string;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  resize(size: TerminalSize): void;
  /** Settles when the server has closed the session; rejects only when the connection broke. */
  readonly result: Promise<RemoteCommandResult>;
  close(): void;
  /**
   * Frees the memory of a stdout/stderr chunk its reader is done with (wrote, and was called
   * back). Only the client knows which of its chunks share memory with anything else; those it
   * leaves to the garbage collector. Readers that never call it lose nothing but speed.
   */
  readonly release?: (chunk: Buffer) => void;
}

const TRUE_VALUES = new Set(['1', 'true', 'True', 'TRUE']);

function flag(params: URLSearchParams, ...names: string[]): boolean {
  return names.some((n) => {
    const v = params.get(n);
    return v !== null && TRUE_VALUES.has(v);
  });
}

export interface RemoteCommandRequest extends RemoteCommandOptions {
  command: string[];
  container: string | null;
}

/**
 * Reads exec/attach options from a query string. Accepts both spellings: the apiserver's pod
 * subresource (`stdin=true`, `stdout`, `stderr`) and the kubelet's (`input=1`, `output`, `error`).
 */
export function parseRemoteCommandQuery(params: URLSearchParams): RemoteCommandRequest {
  const options: RemoteCommandOptions = {
    stdin: flag(params, 'stdin', 'input'),
    stdout: flag(params, 'stdout', 'output'),
    stderr: flag(params, 'stderr', 'error'),
    tty: flag(params, 'tty'),
  };
  // A tty merges stderr into stdout, as the kubelet does.
  if (options.tty) options.stderr = false;
  return { ...options, command: params.getAll('command'), container: params.get('container') };
}

/** The kubelet's query form for an exec/attach, as kube-apiserver sends it. */
export function kubeletRemoteCommandQuery(req: RemoteCommandOptions & { command: readonly string[] }): URLSearchParams {
  const q = new URLSearchParams();
  for (const c of req.command) q.append('command', c);
  if (req.stdin) q.set('input', '1');
  if (req.stdout) q.set('output', '1');
  if (req.stderr) q.set('error', '1');
  if (req.tty) q.set('tty', '1');
  return q;
}

export interface AcceptOptions {
  /** SPDY: how long the client may take to open its streams. */
  streamCreationTimeoutMs?: number;
  /** Drop the connection after this long without traffic (0: never). */
  idleTimeoutMs?: number;
}

/**
 * Completes an exec/attach upgrade in whichever protocol the request asks for (WebSocket
 * channels or SPDY/3.1). Returns null when the request was refused or the client never opened
 * its streams; the client has been answered in that case. Call it before any await of your
 * own so that no early message is missed.
 */
export async function acceptRemoteCommand(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  options: RemoteCommandOptions,
  accept: AcceptOptions = {},
): Promise<RemoteCommandSession | null> {
  if (isWebSocketUpgrade(req)) {
    const ws = await acceptWebSocket(req, socket, head, REMOTE_COMMAND_WS_PROTOCOLS);
    if (!ws) return null;
    const session = serveWebSocketRemoteCommand(ws, options);
    if (accept.idleTimeoutMs) idleTimeout(socket, accept.idleTimeoutMs, () => session.abort());
    return session;
  }
  if (isSpdyUpgrade(req)) {
    const accepted = acceptSpdyUpgrade(req, socket, head, REMOTE_COMMAND_SPDY_PROTOCOLS, { idleTimeoutMs: accept.idleTimeoutMs });
    if (!accepted) return null;
    return serveSpdyRemoteCommand(accepted.session, accepted.protocol, options, accept.streamCreationTimeoutMs).catch(() => null);
  }
  refuseUpgrade(socket, 400, 'Bad Request', 'Upgrade request required: use SPDY/3.1 or websocket\n');
  return null;
}

function idleTimeout(socket: Duplex, ms: number, onIdle: () => void): void {
  const s = socket as Duplex & { setTimeout?: (ms: number, cb: () => void) => void };
  s.setTimeout?.(ms, onIdle);
}

async function drainInto(from: Readable | null, to: Writable | null, release?: (chunk: Buffer) => void): Promise<void> {
  if (!from) return;
  if (!to) {
    from.resume();
    return;
  }
  await forwardChunks(from, to, release);
}

/**
 * Joins a server-side session to a client-side one (a proxy or a backend): stdin and resizes
 * flow one way, stdout/stderr and the result the other. Either side closing closes the other.
 */
export async function bridgeRemoteCommand(session: RemoteCommandSession, client: RemoteCommandClient): Promise<void> {
  void session.closed.then(() => client.close());
  if (session.stdin && client.stdin) session.stdin.pipe(client.stdin);
  else session.stdin?.resume();
  if (session.resizes) {
    void (async () => {
      for await (const size of session.resizes!) client.resize(size);
    })();
  }
  let result: RemoteCommandResult;
  try {
    [result] = await Promise.all([client.result, drainInto(client.stdout, session.stdout, client.release), drainInto(client.stderr, session.stderr, client.release)]);
  } catch (err) {
    result = { error: errorMessage(err) };
  }
  await session.finish(result);
}

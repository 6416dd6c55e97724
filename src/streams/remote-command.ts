// Protocol-neutral remote command (exec/attach) streams. A server-side session is what a
// handler gets when a client connects (over SPDY or WebSocket); a client is what a caller
// gets when it dials one. The protocol adapters live next to this file.
import type { Readable, Writable } from 'node:stream';
import type { RemoteCommandResult } from './exec-status.ts';
import type { TerminalSize } from './websocket-channels.ts';

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

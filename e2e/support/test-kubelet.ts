// A small kubelet for proxy tests: HTTPS that demands a client certificate from the cluster CA,
// the streaming protocols of src/streams, commands run on this host with child_process (a tty
// through `script`), logs served from a file per container, port-forward to 127.0.0.1.
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { freeUnlessSlice } from '../../src/streams/chunk-forward.ts';
import { acceptPortForward } from '../../src/streams/port-forward.ts';
import { Readable } from 'node:stream';
import type { KubeletBackend } from '../../src/provider/kubelet/backend.ts';
import type { Pod } from '../../src/kube/wire.ts';
import {
  acceptRemoteCommand,
  parseRemoteCommandQuery,
  type RemoteCommandClient,
  type RemoteCommandResult,
  type RemoteCommandSession,
} from '../../src/streams/remote-command.ts';
import { refuseUpgrade } from '../../src/streams/http-upgrade.ts';

/** Runs a command on this host as a backend exec: a RemoteCommandClient over a child process. */
export function processClient(command: readonly string[], stdin: boolean): RemoteCommandClient {
  const child = spawn(command[0]!, command.slice(1), { stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  const result = new Promise<RemoteCommandResult>((resolve) => {
    child.once('error', (err) => resolve({ error: `failed to run ${command[0]}: ${err.message}` }));
    child.once('close', (code) => resolve({ exitCode: code ?? 1 }));
  });
  child.stdin?.on('error', () => undefined);
  // The child's pipes read into fresh buffers that only this client's reader sees.
  return { protocol: 'local', stdin: child.stdin, stdout: child.stdout, stderr: child.stderr, resize: () => undefined, result, close: () => child.kill('SIGKILL'), release: freeUnlessSlice };
}

/** A KubeletBackend for one pod whose "containers" are this host: exec runs here, port-forward dials 127.0.0.1. */
export function localProcessBackend(pod: Pod): KubeletBackend {
  const same = (ns: string, name: string): boolean => ns === pod.metadata?.namespace && name === pod.metadata?.name;
  return {
    pods: () => [pod],
    findPod: (ns, name) => (same(ns, name) ? pod : undefined),
    logs: async () => Readable.from([Buffer.from('log line\n')]),
    exec: async (_pod, _c, command, options) => processClient(command, options.stdin),
    attach: async (_pod, _c, options) => processClient(['cat'], options.stdin),
    portForward: (_pod, port) =>
      new Promise((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1', () => resolve(s));
        s.once('error', reject);
      }),
    stats: async () => [],
  };
}

export interface TestKubelet {
  port: number;
  /** Client certificate common names seen, one per request. */
  clients: string[];
  /** The query of every /containerLogs request, in order. */
  logQueries: URLSearchParams[];
  close(): Promise<void>;
}

export interface TestKubeletOptions {
  cert: string;
  key: string;
  /** The CA that must have issued the caller's client certificate. */
  clientCa: string;
  /** `${ns}/${pod}/${container}` → path of the log file to serve. */
  logs: Record<string, string>;
}

function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The client's first terminal size (kubectl sends it right away), or null after a short wait. */
async function firstSize(session: RemoteCommandSession): Promise<{ width: number; height: number } | null> {
  if (!session.resizes) return null;
  const iterator = session.resizes[Symbol.asyncIterator]();
  const timeout = new Promise<null>((r) => setTimeout(() => r(null), 2000).unref());
  const next = iterator.next().then((r) => (r.done ? null : r.value));
  return Promise.race([next, timeout]);
}

/**
 * Runs the command on this host; a tty goes through script(1) so the child sees a terminal,
 * sized to the client's first resize (later resizes are not applied: script has no hook).
 */
async function runCommand(session: RemoteCommandSession, command: string[]): Promise<void> {
  let file = command[0]!;
  let args = command.slice(1);
  if (session.tty) {
    const size = await firstSize(session);
    const stty = size ? `stty rows ${size.height} cols ${size.width}; ` : '';
    [file, args] = ['script', ['-qfec', `${stty}exec ${command.map(shellQuote).join(' ')}`, '/dev/null']];
  }
  const child = spawn(file, args as string[], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<{ exitCode: number } | { error: string }>((resolve) => {
    child.once('error', (err) => resolve({ error: `failed to run ${command[0]}: ${err.message}` }));
    child.once('close', (code, signal) => resolve({ exitCode: code ?? (signal ? 128 : 1) }));
  });
  child.stdin.on('error', () => undefined);
  if (session.stdin) session.stdin.pipe(child.stdin);
  else child.stdin.end();
  if (session.stdout) child.stdout.pipe(session.stdout, { end: false });
  else child.stdout.resume();
  if (session.stderr) child.stderr.pipe(session.stderr, { end: false });
  else child.stderr.resume();
  void session.closed.then(() => child.kill('SIGKILL'));
  const result = await exited;
  await session.finish(result);
}

export async function startTestKubelet(opts: TestKubeletOptions): Promise<TestKubelet> {
  const clients: string[] = [];
  const logQueries: URLSearchParams[] = [];
  const server = https.createServer({ cert: opts.cert, key: opts.key, ca: opts.clientCa, requestCert: true, rejectUnauthorized: true });
  const clientOf = (socket: unknown): string => String((socket as TLSSocket).getPeerCertificate().subject?.CN ?? '');

  server.on('request', (req, res) => {
    clients.push(clientOf(req.socket));
    const url = new URL(req.url ?? '/', 'https://x');
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    const file = m ? opts.logs[`${m[1]}/${m[2]}/${m[3]}`] : undefined;
    if (!file || !existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`no logs for ${url.pathname}\n`);
      return;
    }
    logQueries.push(url.searchParams);
    res.writeHead(200, { 'content-type': 'text/plain' });
    if (url.searchParams.get('follow') !== 'true') {
      createReadStream(file).pipe(res);
      return;
    }
    // Following: the file, then whatever is appended, until the client leaves.
    let offset = 0;
    let reading = false;
    const pump = (): void => {
      reading = true;
      const stream = createReadStream(file, { start: offset });
      stream.on('data', (c) => (offset += c.length));
      stream.on('end', () => (reading = false));
      stream.pipe(res, { end: false });
    };
    pump();
    const watcher = setInterval(() => {
      if (!reading && statSync(file).size > offset) pump();
    }, 100);
    res.on('close', () => clearInterval(watcher));
  });

  const live = new Set<Duplex>();
  server.on('upgrade', (req, socket, head) => {
    live.add(socket);
    socket.once('close', () => live.delete(socket));
    clients.push(clientOf(req.socket));
    const url = new URL(req.url ?? '/', 'https://x');
    const parts = url.pathname.split('/').filter(Boolean);
    if ((parts[0] === 'exec' || parts[0] === 'attach') && parts.length === 4) {
      const request = parseRemoteCommandQuery(url.searchParams);
      void acceptRemoteCommand(req, socket, head, request, { streamCreationTimeoutMs: 10_000 }).then((session) => {
        if (session) void runCommand(session, request.command.length > 0 ? request.command : ['cat']);
      });
      return;
    }
    if (parts[0] === 'portForward' && parts.length === 3) {
      void acceptPortForward(req, socket, head, (conn) => {
        const target = net.connect(conn.port, '127.0.0.1');
        target.once('error', (err) => conn.fail(`error forwarding port ${conn.port}: ${err.message}`));
        target.once('connect', () => {
          conn.stream.pipe(target);
          target.pipe(conn.stream);
        });
      });
      return;
    }
    refuseUpgrade(socket, 404, 'Not Found', `unknown streaming path ${url.pathname}\n`);
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    clients,
    logQueries,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of live) s.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

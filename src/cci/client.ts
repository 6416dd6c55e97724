// The CCI 2.0 client the virtual node uses: JSON over undici, a newline-delimited watch, log
// streams and the WebSocket endpoints. Every failure becomes a CciError with CCI's status and
// reason (kube/errors.ts tells whether retrying can help); the token never appears in errors.
// HTTP/1.1, as the Kubernetes client (kube/client.ts says why): requests on a pool of 64
// connections, and the watch and each log stream on a connection of its own, so that
// `kubectl logs -f` sessions, however many and however slowly read, never hold the connections
// pod creations need (on one HTTP/2 connection, undici's default, unread log streams would hold
// its shared flow-control window).
import type { Duplex, Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { Agent, request, type Dispatcher } from 'undici';
import { createWebSocketStream, WebSocket } from 'ws';
import { REMOTE_COMMAND_WS_PROTOCOLS } from '../streams/websocket-channels.ts';
import {
  CCI_AUTH_HEADER, cciPaths, type CciNetwork, type CciNetworkList, type CciPod, type CciPodList, type CciPodStats, type CciQuota, type CciStatus, type CciWatchEvent,
} from './types.ts';

export interface CciClientOptions {
  endpoint: string;
  token: string;
  namespace: string;
  /** PEM CA bundle for an https endpoint with a private CA. */
  ca?: string | Buffer;
  timeoutMs?: number;
}

export class CciError extends Error {
  override name = 'CciError';
  /** HTTP status; 0 when no response came (connection error, timeout). */
  readonly status: number;
  readonly reason: string;
  readonly details: CciStatus['details'];

  constructor(status: number, reason: string, message: string, details?: CciStatus['details']) {
    super(message);
    this.status = status;
    this.reason = reason;
    this.details = details;
  }
}

export interface LogOptions {
  container?: string;
  follow?: boolean;
  previous?: boolean;
  sinceSeconds?: number;
  sinceTime?: string;
  timestamps?: boolean;
  tailLines?: number;
  limitBytes?: number;
}

export interface RemoteCommandOpts {
  container?: string;
  command?: readonly string[];
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  tty?: boolean;
}

function query(params: Record<string, string | number | boolean | readonly string[] | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === false) continue;
    if (Array.isArray(v)) for (const item of v) q.append(k, String(item));
    else q.set(k, String(v));
  }
  const text = q.toString();
  return text === '' ? '' : `?${text}`;
}

async function errorFrom(status: number, body: Dispatcher.ResponseData['body']): Promise<CciError> {
  const text = await body.text().catch(() => '');
  try {
    const s = JSON.parse(text) as CciStatus;
    if (s.kind === 'Status') return new CciError(status, s.reason ?? 'Unknown', s.message ?? `HTTP ${status}`, s.details);
  } catch {
    // Not a Status: fall through.
  }
  return new CciError(status, status === 429 ? 'TooManyRequests' : 'Unknown', `HTTP ${status}: ${text.slice(0, 200)}`);
}

function transportError(err: unknown, what: string): CciError {
  if (err instanceof CciError) return err;
  const e = err as Error & { code?: string };
  const timeout = e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT' || e.code === 'UND_ERR_CONNECT_TIMEOUT';
  return new CciError(0, timeout ? 'Timeout' : 'ConnectionError', `${what}: ${e.message}${e.code ? ` (${e.code})` : ''}`);
}

export class CciClient {
  readonly namespace: string;
  readonly #endpoint: URL;
  readonly #token: string;
  readonly #ca: string | Buffer | undefined;
  readonly #timeoutMs: number;
  readonly #agent: Agent;
  readonly #streams: Agent;

  constructor(opts: CciClientOptions) {
    this.#endpoint = new URL(opts.endpoint);
    this.#token = opts.token;
    this.namespace = opts.namespace;
    this.#ca = opts.ca;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    const connect = opts.ca ? { connect: { ca: opts.ca } } : {};
    this.#agent = new Agent({ connections: 64, allowH2: false, ...connect });
    this.#streams = new Agent({ allowH2: false, ...connect });
  }

  async #send(method: Dispatcher.HttpMethod, path: string, body?: unknown, stream = false): Promise<Dispatcher.ResponseData> {
    const what = `CCI ${method} ${path.split('?')[0]}`;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(new URL(path, this.#endpoint), {
        method,
        dispatcher: stream ? this.#streams : this.#agent,
        headers: { [CCI_AUTH_HEADER]: this.#token, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        headersTimeout: this.#timeoutMs,
        bodyTimeout: stream ? 0 : this.#timeoutMs,
      });
    } catch (err) {
      throw transportError(err, what);
    }
    if (res.statusCode >= 400) throw await errorFrom(res.statusCode, res.body);
    return res;
  }

  async #json<T>(method: Dispatcher.HttpMethod, path: string, body?: unknown): Promise<T> {
    const res = await this.#send(method, path, body);
    try {
      return (await res.body.json()) as T;
    } catch (err) {
      throw transportError(err, `CCI ${method} ${path.split('?')[0]}`);
    }
  }

  createPod(pod: CciPod): Promise<CciPod> {
    return this.#json('POST', cciPaths.pods(this.namespace), pod);
  }

  getPod(name: string): Promise<CciPod> {
    return this.#json('GET', cciPaths.pod(this.namespace, name));
  }

  /** The namespace's pods; with `limit`, one page of them (metadata.continue asks for the next). */
  listPods(opts: { labelSelector?: string; limit?: number; continue?: string } = {}): Promise<CciPodList> {
    return this.#json('GET', cciPaths.pods(this.namespace) + query(opts));
  }

  /** Starts a graceful deletion; the pod disappears (watch DELETED) when its processes are gone. */
  deletePod(name: string, gracePeriodSeconds: number): Promise<CciPod> {
    return this.#json('DELETE', cciPaths.pod(this.namespace, name) + query({ gracePeriodSeconds }));
  }

  /**
   * Streams pod events after `resourceVersion` ("" or "0": the current pods first, as ADDED)
   * until the server ends the watch (resolves) or `signal` aborts it (resolves). A version too
   * old to resume from rejects with CciError status 410: list again and watch from the list.
   */
  async watchPods(resourceVersion: string, onEvent: (event: CciWatchEvent) => void, signal: AbortSignal): Promise<void> {
    const path = cciPaths.pods(this.namespace) + query({ watch: 'true', resourceVersion, allowWatchBookmarks: 'true' });
    let res: Dispatcher.ResponseData;
    try {
      res = await request(new URL(path, this.#endpoint), {
        method: 'GET',
        dispatcher: this.#streams,
        headers: { [CCI_AUTH_HEADER]: this.#token, accept: 'application/json' },
        headersTimeout: this.#timeoutMs,
        bodyTimeout: 0,
        signal,
      });
    } catch (err) {
      if (signal.aborted) return;
      throw transportError(err, 'CCI watch pods');
    }
    if (res.statusCode >= 400) throw await errorFrom(res.statusCode, res.body);
    // Lines are cut out of each chunk by position and only the unfinished tail is carried
    // over: re-slicing the whole buffer per line made every event cost a copy of the rest.
    // The decoder keeps a character split across two chunks whole.
    const decoder = new StringDecoder('utf8');
    let tail = '';
    try {
      for await (const chunk of res.body) {
        const text = tail + decoder.write(chunk as Buffer);
        let start = 0;
        for (let nl = text.indexOf('\n'); nl !== -1; start = nl + 1, nl = text.indexOf('\n', start)) {
          const line = text.slice(start, nl);
          if (line.trim() === '') continue;
          const event = JSON.parse(line) as CciWatchEvent;
          if (event.type === 'ERROR') {
            const s = event.object as CciStatus;
            throw new CciError(s.code ?? 500, s.reason ?? 'Unknown', s.message ?? 'watch error');
          }
          onEvent(event);
        }
        tail = text.slice(start);
      }
    } catch (err) {
      if (signal.aborted) return;
      throw transportError(err, 'CCI watch pods');
    }
  }

  /** The container log as a byte stream (text lines; with timestamps, RFC 3339 prefixes). */
  async logs(name: string, opts: LogOptions = {}): Promise<Readable> {
    const res = await this.#send('GET', cciPaths.podLog(this.namespace, name) + query({ ...opts }), undefined, true);
    return res.body;
  }

  #ws(path: string, protocols: readonly string[]): WebSocket {
    const url = new URL(path, this.#endpoint);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return new WebSocket(url, [...protocols], { headers: { [CCI_AUTH_HEADER]: this.#token }, perMessageDeflate: false, ...(this.#ca ? { ca: this.#ca } : {}) });
  }

  /** An exec WebSocket speaking v5/v4.channel.k8s.io (see src/streams/websocket-remote-command.ts). */
  exec(name: string, opts: RemoteCommandOpts): WebSocket {
    return this.#ws(cciPaths.podExec(this.namespace, name) + remoteQuery(opts), REMOTE_COMMAND_WS_PROTOCOLS);
  }

  attach(name: string, opts: RemoteCommandOpts): WebSocket {
    return this.#ws(cciPaths.podAttach(this.namespace, name) + remoteQuery(opts), REMOTE_COMMAND_WS_PROTOCOLS);
  }

  /** One TCP connection to the pod's port as a Duplex; ending it sends FIN to the pod. */
  portForward(name: string, port: number): Promise<Duplex> {
    const ws = this.#ws(cciPaths.podPortForward(this.namespace, name) + query({ port }), []);
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        const stream = createWebSocketStream(ws);
        stream.on('finish', () => ws.close(1000));
        resolve(stream);
      });
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => {
          try {
            const s = JSON.parse(body) as CciStatus;
            reject(new CciError(res.statusCode ?? 500, s.reason ?? 'Unknown', s.message ?? body));
          } catch {
            reject(new CciError(res.statusCode ?? 500, 'Unknown', body.slice(0, 200)));
          }
        });
      });
      ws.once('error', (err) => reject(transportError(err, 'CCI port-forward')));
    });
  }

  stats(): Promise<CciPodStats[]> {
    return this.#json('GET', cciPaths.podStats(this.namespace));
  }

  network(): Promise<CciNetwork> {
    return this.#json('GET', cciPaths.network(this.namespace));
  }

  /** The namespace's Networks, the default first. */
  async networks(): Promise<CciNetwork[]> {
    return (await this.#json<CciNetworkList>('GET', cciPaths.networks(this.namespace))).items;
  }

  quota(): Promise<CciQuota> {
    return this.#json('GET', cciPaths.quota(this.namespace));
  }

  /** Closes the connections, ending open watches and log streams too. */
  async close(): Promise<void> {
    await Promise.all([this.#agent.destroy(), this.#streams.destroy()]);
  }
}

function remoteQuery(opts: RemoteCommandOpts): string {
  return query({
    container: opts.container,
    command: opts.command,
    stdin: opts.stdin ? 'true' : undefined,
    stdout: opts.stdout ?? true ? 'true' : undefined,
    stderr: opts.stderr ?? true ? 'true' : undefined,
    tty: opts.tty ? 'true' : undefined,
  });
}

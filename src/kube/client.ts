// A lean Kubernetes REST client for the virtual node: keep-alive connections to the API server,
// JSON in and out, typed errors (predicates in errors.ts), and a hook that counts every request (the
// benchmark's "API writes per pod" and the Prometheus metrics come from it). The generated
// client of @kubernetes/client-node builds a new TLS agent per call; at a thousand pods that
// is a thousand handshakes, so only its kubeconfig loading is used here.
//
// Requests and watches travel apart, over HTTP/1.1. undici speaks HTTP/2 to kube-apiserver by
// default, which put every request and every watch on one connection; in a burst of 1,000 pods
// kube-apiserver then closed the node's pod watch 20–35 times as unresponsive (a watch filtered
// by spec.nodeName gets a 10-event buffer there, and a watcher it cannot feed is dropped), each
// close delaying what the watch had to tell. Watches on HTTP/2 connections of their own were
// still closed in one burst of three: an HTTP/2 stream buffers at most its window (256 KiB),
// where a TCP connection's buffers grow to megabytes. So requests use a pool of HTTP/1.1
// connections and each watch a connection of its own: kube-apiserver then closed 0–5 pod
// watches a burst, of all its clients, against 40–71, and the status lag's p99 halved.
import type https from 'node:https';
import { createInterface } from 'node:readline';
import { Agent, request, type Dispatcher } from 'undici';
import { errorMessage } from '../log/error-message.ts';
import { bearerToken, type KubeConfigData } from './kubeconfig.ts';

export { loadKubeConfig, type KubeConfigData } from './kubeconfig.ts';

export class KubeError extends Error {
  override name = 'KubeError';
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

type TlsMaterial = Pick<https.RequestOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized'>;

export type RequestObserver = (method: string, path: string, status: number, ms: number) => void;

export interface RequestOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
}

export class KubeClient {
  readonly server: string;
  readonly #config: KubeConfigData;
  readonly #requests: Dispatcher;
  readonly #watches: Dispatcher;
  readonly #observer: RequestObserver | undefined;
  /** Auth headers, re-read every 30 s so that a rotated service-account token is picked up. */
  #auth: { headers: Record<string, string>; at: number } = { headers: {}, at: -Infinity };

  private constructor(config: KubeConfigData, observer: RequestObserver | undefined) {
    this.server = config.server;
    this.#config = config;
    this.#observer = observer;
    const tls: TlsMaterial = { rejectUnauthorized: !config.insecureSkipTLSVerify };
    if (config.ca) tls.ca = config.ca;
    if (config.cert) tls.cert = config.cert;
    if (config.key) tls.key = config.key;
    // 64: the node's TokenRequests (16), status writes (10), events (8) and sync workers at once.
    this.#requests = new Agent({ connections: 64, keepAliveTimeout: 30_000, connect: tls, allowH2: false });
    this.#watches = new Agent({ keepAliveTimeout: 30_000, connect: tls, allowH2: false });
  }

  static async create(config: KubeConfigData, observer?: RequestObserver): Promise<KubeClient> {
    return new KubeClient(config, observer);
  }

  async #headers(contentType?: string): Promise<Record<string, string>> {
    if (performance.now() - this.#auth.at > 30_000) {
      const token = bearerToken(this.#config);
      this.#auth = { headers: token ? { authorization: `Bearer ${token}` } : {}, at: performance.now() };
    }
    return { accept: 'application/json', ...this.#auth.headers, ...(contentType ? { 'content-type': contentType } : {}) };
  }

  #url(path: string, query: RequestOptions['query']): string {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, v);
    const qs = params.toString();
    return `${this.server}${path}${qs ? `?${qs}` : ''}`;
  }

  async request<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, opts: RequestOptions = {}): Promise<T> {
    const started = performance.now();
    let status = 0;
    try {
      const res = await request(this.#url(path, opts.query), {
        method,
        dispatcher: this.#requests,
        headers: await this.#headers(opts.body === undefined ? undefined : (opts.contentType ?? 'application/json')),
        body: opts.body === undefined ? null : JSON.stringify(opts.body),
        headersTimeout: opts.timeoutMs ?? 30_000,
        bodyTimeout: opts.timeoutMs ?? 30_000,
      });
      status = res.statusCode;
      const text = await res.body.text();
      if (status >= 400) throw errorFrom(status, text);
      return (text === '' ? undefined : JSON.parse(text)) as T;
    } catch (err) {
      if (err instanceof KubeError) throw err;
      throw new KubeError(0, 'ConnectionError', `${method} ${path}: ${errorMessage(err)}`);
    } finally {
      this.#observer?.(method, path, status, performance.now() - started);
    }
  }

  /**
   * Streams a watch: calls `onEvent` per event until the server ends the stream (resolves) or
   * the request fails (rejects with a KubeError; 410 Gone means relist).
   */
  async watch<T>(path: string, query: Record<string, string | undefined>, onEvent: (type: string, object: T) => void, signal: AbortSignal): Promise<void> {
    const res = await request(this.#url(path, { ...query, watch: 'true', allowWatchBookmarks: 'true' }), {
      method: 'GET',
      dispatcher: this.#watches,
      headers: await this.#headers(),
      signal,
      headersTimeout: 30_000,
      bodyTimeout: 0,
    }).catch((err: unknown) => {
      throw new KubeError(0, 'ConnectionError', `watch ${path}: ${errorMessage(err)}`);
    });
    this.#observer?.('WATCH', path, res.statusCode, 0);
    if (res.statusCode >= 400) throw errorFrom(res.statusCode, await res.body.text());
    const lines = createInterface({ input: res.body, crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        if (line === '') continue;
        const event = JSON.parse(line) as { type: string; object: T & { code?: number; message?: string } };
        if (event.type === 'ERROR') {
          const code = event.object.code ?? 500;
          throw new KubeError(code, code === 410 ? 'Expired' : 'WatchError', event.object.message ?? 'watch error');
        }
        onEvent(event.type, event.object);
      }
    } catch (err) {
      if (err instanceof KubeError || signal.aborted) throw err;
      throw new KubeError(0, 'ConnectionError', `watch ${path}: ${errorMessage(err)}`);
    }
  }

  async close(): Promise<void> {
    await this.#requests.close();
    await this.#watches.close();
  }
}

function errorFrom(status: number, text: string): KubeError {
  let reason = 'Unknown';
  let message = text.slice(0, 500);
  try {
    const body = JSON.parse(text) as { reason?: string; message?: string };
    reason = body.reason ?? reason;
    message = body.message ?? message;
  } catch {
    // not a Status object: keep the raw text
  }
  return new KubeError(status, reason, message);
}

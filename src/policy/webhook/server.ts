// The admission webhook's HTTPS listener: POST /mutate takes an AdmissionReview, GET /healthz
// says it is up. Bodies are bounded (the API server sends the pod, at most ~1.5 MB in etcd, in an
// envelope), as is the time to send one; a bad request gets a 4xx naming what was wrong and never
// takes the process down. The certificate can be swapped while serving (a rotated Secret).
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../log/logger.ts';
import type { PolicyLookup } from '../lookup.ts';
import { admit, BadReview, parseReview, type Admission } from './admission.ts';
import { errorMessage } from '../../log/error-message.ts';

export const MAX_REVIEW_BYTES = 3 * 1024 * 1024;
/** The API server's own default webhook timeout is 10 s; a client slower than this is not it. */
const REQUEST_TIMEOUT_MS = 10_000;

export interface WebhookServerOptions {
  host?: string;
  port: number;
  tls: { certPem: string; keyPem: string };
  context: PolicyLookup;
  /** Largest body accepted (default MAX_REVIEW_BYTES). */
  limit?: number;
  /** Called after every answered review: its duration and what was decided. */
  onAdmission?: (seconds: number, admission: Admission) => void;
  log: Logger;
}

export interface WebhookServer {
  port: number;
  /** Serves a new certificate from now on (connections already open keep theirs). */
  setCertificate(tls: { certPem: string; keyPem: string }): void;
  close(): Promise<void>;
}

class TooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return reject(new TooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new TooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

async function handle(o: WebhookServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && path === '/healthz') return send(res, 200, 'ok\n');
  if (path !== '/mutate') return send(res, 404, 'only POST /mutate (AdmissionReview v1) and GET /healthz are served here\n');
  if (req.method !== 'POST') return send(res, 405, 'POST an AdmissionReview (admission.k8s.io/v1) to /mutate\n');
  const started = performance.now();
  let body: unknown;
  try {
    body = JSON.parse((await readBody(req, o.limit ?? MAX_REVIEW_BYTES)).toString('utf8'));
  } catch (err) {
    if (err instanceof TooLarge) return send(res, 413, `an AdmissionReview is at most ${o.limit ?? MAX_REVIEW_BYTES} bytes\n`);
    return send(res, 400, 'the body is not JSON: POST an AdmissionReview (admission.k8s.io/v1)\n');
  }
  let admission: Admission;
  try {
    admission = await admit(parseReview(body), o.context);
  } catch (err) {
    if (err instanceof BadReview) return send(res, 400, `${err.message}\n`);
    throw err;
  }
  if (admission.error) o.log.error({ err: admission.error.message, uid: admission.review.response.uid }, 'pod admitted without a policy: it could not be worked out');
  send(res, 200, admission.review);
  o.onAdmission?.((performance.now() - started) / 1000, admission);
}

export async function startWebhookServer(o: WebhookServerOptions): Promise<WebhookServer> {
  const server = https.createServer({ cert: o.tls.certPem, key: o.tls.keyPem, requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: REQUEST_TIMEOUT_MS, keepAliveTimeout: 30_000 }, (req, res) => {
    handle(o, req, res).catch((err: unknown) => {
      o.log.error({ err: errorMessage(err) }, 'admission review failed');
      if (!res.headersSent) send(res, 500, 'internal error while reviewing; the pod is admitted without a policy (failurePolicy Ignore)\n');
      else res.destroy();
    });
  });
  server.on('tlsClientError', (err) => o.log.debug({ err: err.message }, 'webhook TLS handshake failed'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    setCertificate(tls) {
      server.setSecureContext({ cert: tls.certPem, key: tls.keyPem });
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

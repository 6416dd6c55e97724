// The kubelet HTTPS API of `burstlet node`: logs, exec/attach/port-forward, stats, metrics,
// pods and healthz, every route authenticated and authorized (see auth.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from '../../log/logger.ts';
import { DEFAULT_CONNECTION_LIMITS, guardConnections, guardedServerOptions, type ConnectionLimits } from '../../net/connection-guard.ts';
import { refuseUpgrade } from '../../streams/http-upgrade.ts';
import type { KubeletAuth } from './auth.ts';
import { forbiddenMessage, kubeletAuthzAttributes } from './authz-attributes.ts';
import type { KubeletBackend } from './backend.ts';
import { BackendError } from './backend.ts';
import { parseLogQuery, QueryError } from './log-query.ts';
import { podAndContainer, statusBody } from './pod-lookup.ts';
import { canonicalRequestPath } from './request-path.ts';
import { renderResourceMetrics, statsSummary } from './resource-metrics.ts';
import { serveStreaming } from './streaming.ts';
import { errorMessage } from '../../log/error-message.ts';

export interface KubeletServerOptions {
  nodeName: string;
  host?: string;
  port: number;
  tls: { certPem: string; keyPem: string };
  /** --client-ca-file: client certificates it issued authenticate their CN/O. */
  clientCaPem?: string;
  auth: KubeletAuth;
  backend: KubeletBackend;
  /** --streaming-connection-idle-timeout; the kubelet's default is 4 h. */
  streamIdleTimeoutMs?: number;
  /** How long an exec/port-forward client may take to open its streams. */
  streamCreationTimeoutMs?: number;
  /**
   * Upgrades served before the kubelet's own authentication, by a handler with its own (the
   * service directory's sidecars present per-pod credentials); returns false to pass.
   */
  extraUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;
  /** Deadlines and the cap on connections without an authenticated request (slowloris). */
  limits?: ConnectionLimits;
  log?: Logger;
}

export interface KubeletServer {
  port: number;
  close(): Promise<void>;
}

type Verdict = { ok: true } | { ok: false; code: 401 | 403; body: string };

/** Authorizes req.url, which the path gate has already made the canonical URL that is served. */
async function check(auth: KubeletAuth, nodeName: string, req: IncomingMessage): Promise<Verdict> {
  const user = await auth.authenticate(req);
  if (!user) return { ok: false, code: 401, body: 'Unauthorized\n' };
  const attrs = kubeletAuthzAttributes(req.method ?? 'GET', req.url ?? '/', nodeName);
  if (!(await auth.authorize(user, attrs))) return { ok: false, code: 403, body: forbiddenMessage(user.username, attrs) };
  return { ok: true };
}

function sendStatus(reply: FastifyReply, code: number, reason: string, message: string): FastifyReply {
  return reply.code(code).type('application/json').send(statusBody(code, reason, message));
}

/**
 * Puts req.url in its canonical form, or answers for it (301 to the clean path, 400 for an
 * ambiguous one) and returns false. Runs before authentication, authorization and routing.
 */
function gatePath(req: IncomingMessage, answer: (code: 301 | 400, headers: Record<string, string>, body: string) => void): boolean {
  const verdict = canonicalRequestPath(req.url ?? '/');
  if (verdict.kind === 'canonical') {
    req.url = verdict.url;
    return true;
  }
  if (verdict.kind === 'redirect') answer(301, { Location: verdict.location }, `<a href="${verdict.location}">Moved Permanently</a>.\n`);
  else answer(400, { 'Content-Type': 'application/json' }, JSON.stringify(statusBody(400, 'BadRequest', verdict.message)));
  return false;
}

export async function startKubeletServer(o: KubeletServerOptions): Promise<KubeletServer> {
  const startTime = new Date().toISOString();
  const limits = o.limits ?? DEFAULT_CONNECTION_LIMITS;
  // Client certificates are asked for, and verified against the given CA alone (`ca` replaces
  // Node's default trust store), only with --client-ca-file: without it, none authenticates.
  const tls = { cert: o.tls.certPem, key: o.tls.keyPem, rejectUnauthorized: false, ...(o.clientCaPem ? { requestCert: true, ca: o.clientCaPem } : { requestCert: false }) };
  const app = Fastify({
    serverFactory: (handler) =>
      https.createServer({ ...tls, ...guardedServerOptions(limits) }, (req: IncomingMessage, res: ServerResponse) => {
        const served = gatePath(req, (code, headers, body) => {
          res.writeHead(code, { 'Content-Type': 'text/html; charset=utf-8', Connection: 'close', ...headers }).end(body);
        });
        if (served) handler(req, res);
      }),
    logger: false,
  }) as unknown as FastifyInstance;
  const guard = guardConnections(app.server, limits);

  app.addHook('onRequest', async (req, reply) => {
    const verdict = await check(o.auth, o.nodeName, req.raw);
    // A refused client keeps no connection (and no slot among the unadmitted ones).
    if (!verdict.ok) return reply.code(verdict.code).header('connection', 'close').type('text/plain; charset=utf-8').send(verdict.body);
    guard.admit(req.raw.socket);
  });
  app.setNotFoundHandler((req, reply) => sendStatus(reply, 404, 'NotFound', `no kubelet endpoint at ${req.url.split('?')[0]}`));

  app.get('/healthz', async (_req, reply) => reply.type('text/plain').send('ok'));
  app.get('/pods', async () => ({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: o.backend.pods() }));
  app.get('/stats/summary', async () => statsSummary(o.nodeName, startTime, await o.backend.stats(), Date.now()));
  app.get('/metrics/resource', async (_req, reply) =>
    reply.type('text/plain; version=0.0.4; charset=utf-8').send(renderResourceMetrics(await o.backend.stats(), Date.now())));

  app.get('/containerLogs/:namespace/:pod/:container', async (req, reply) => {
    const { namespace, pod: name, container } = req.params as { namespace: string; pod: string; container: string };
    let options;
    try {
      options = parseLogQuery(new URL(req.url, 'https://kubelet').searchParams);
    } catch (err) {
      if (err instanceof QueryError) return sendStatus(reply, 400, 'BadRequest', err.message);
      throw err;
    }
    const found = podAndContainer(o.backend, namespace, name, container);
    if ('error' in found) return sendStatus(reply, 404, 'NotFound', found.error);
    try {
      const stream = await o.backend.logs(found.pod, found.container, options);
      req.raw.once('close', () => stream.destroy()); // a client that leaves frees the backend stream
      return reply.type('text/plain').send(stream);
    } catch (err) {
      const code = err instanceof BackendError ? err.status : 500;
      return sendStatus(reply, code, code === 404 ? 'NotFound' : 'InternalError', errorMessage(err));
    }
  });
  for (const path of ['/exec/*', '/attach/*', '/portForward/*']) {
    app.all(path, async (_req, reply) => sendStatus(reply, 400, 'BadRequest', 'Upgrade request required: use SPDY/3.1 or websocket'));
  }

  // close() would wait for every open response (a `logs -f` follows for hours) and upgraded
  // connection (which leave the HTTP server's bookkeeping but hold the listener): a kubelet
  // that stops ends them all (preClose), so that it stops within its grace period.
  const live = new Set<Duplex>();
  app.addHook('preClose', async () => {
    for (const s of live) s.destroy();
    app.server.closeAllConnections();
  });
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    live.add(socket);
    socket.once('close', () => live.delete(socket));
    socket.on('error', () => socket.destroy());
    const served = gatePath(req, (code, headers, body) => refuseUpgrade(socket, code, code === 301 ? 'Moved Permanently' : 'Bad Request', body, headers));
    if (!served) return;
    // The directory authenticates its sidecars itself, and closes those it refuses.
    if (o.extraUpgrade?.(req, socket, head)) return guard.admit(req.socket);
    void (async () => {
      const verdict = await check(o.auth, o.nodeName, req);
      if (!verdict.ok) return refuseUpgrade(socket, verdict.code, verdict.code === 401 ? 'Unauthorized' : 'Forbidden', verdict.body);
      guard.admit(req.socket);
      await serveStreaming(req, socket, head, {
        backend: o.backend,
        streamCreationTimeoutMs: o.streamCreationTimeoutMs ?? 30_000,
        idleTimeoutMs: o.streamIdleTimeoutMs ?? 4 * 3_600_000,
        log: o.log,
      });
    })().catch((err: unknown) => {
      o.log?.warn({ err, path: req.url?.split('?')[0] }, 'kubelet stream failed');
      socket.destroy();
    });
  });

  await app.listen({ host: o.host ?? '0.0.0.0', port: o.port });
  return {
    port: (app.server.address() as AddressInfo).port,
    close: () => app.close(),
  };
}

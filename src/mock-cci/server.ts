// The mock CCI 2.0 API server: fastify routes at the paths of cciPaths, X-Auth-Token on every
// request, CciStatus errors, optional deterministic faults, and the WebSocket endpoints.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import Fastify, { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from '../log/logger.ts';
import { DEFAULT_CONNECTION_LIMITS, guardConnections, guardedServerOptions, type ConnectionLimits } from '../net/connection-guard.ts';
import { CCI_AUTH_HEADER, cciPaths, type CciNetworkList, type CciPod, type CciPodList, type CciQuota } from '../cci/types.ts';
import { formatUsage } from './admission.ts';
import type { FaultDecision, FaultInjector } from './faults.ts';
import type { MockNetworks } from './networks.ts';
import type { PodService } from './pods.ts';
import { serveLog } from './routes-logs.ts';
import { listPage } from './list-pages.ts';
import { matchesSelector, parseSelector } from './selector.ts';
import { badRequest, CciApiError } from './status.ts';
import type { PodStore } from './store.ts';
import { handleUpgrade } from './streams.ts';
import { errorMessage } from '../log/error-message.ts';

/** Where the mock's own test controls live (not CCI's API); the same token guards them. */
export const MOCK_ADMIN_PREFIX = '/mock/v1';

export interface MockServerDeps {
  token: string;
  namespace: string;
  store: PodStore;
  pods: PodService;
  networks: MockNetworks;
  faults: FaultInjector;
  log: Logger;
  bookmarkIntervalMs?: number;
  /** Deadlines and the cap on connections without a request that carried the token. */
  limits?: ConnectionLimits;
}

declare module 'fastify' {
  interface FastifyRequest {
    fault?: FaultDecision;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function buildMockServer(deps: MockServerDeps) {
  const { store, pods, namespace, faults } = deps;
  const expected = Buffer.from(deps.token);
  const authorized = (req: IncomingMessage): boolean => {
    const got = Buffer.from(String(req.headers[CCI_AUTH_HEADER] ?? ''));
    return got.length === expected.length && timingSafeEqual(got, expected);
  };
  const limits = deps.limits ?? DEFAULT_CONNECTION_LIMITS;
  const app = Fastify({
    loggerInstance: deps.log,
    bodyLimit: 32 << 20,
    logController: new LogController({ disableRequestLogging: true }),
    http: guardedServerOptions(limits),
    requestTimeout: limits.requestTimeoutMs,
  });
  const guard = guardConnections(app.server, limits);

  app.addHook('onRequest', async (req, reply) => {
    if (!authorized(req.raw)) {
      // A refused client keeps no connection (and no slot among the unadmitted ones).
      return reply.code(401).header('connection', 'close').send(new CciApiError(401, 'Unauthorized', 'a valid X-Auth-Token header is required').toStatus());
    }
    guard.admit(req.raw.socket);
    if (faults.options.latencyMs > 0) {
      req.log.debug({ method: req.method, url: req.url }, 'request held (injected latency)');
      await sleep(faults.options.latencyMs);
    }
    const decision = faults.decide(req.method === 'POST' || req.method === 'DELETE');
    if (decision.kind === 'before') {
      const reason = decision.code === 429 ? 'TooManyRequests' : 'ServiceUnavailable';
      if (decision.code === 429) reply.header('retry-after', '1');
      return reply.code(decision.code).send(new CciApiError(decision.code, reason, `injected fault: ${reason}`).toStatus());
    }
    req.fault = decision;
  });
  app.addHook('onSend', async (req, reply, payload) => {
    if (req.fault?.kind !== 'after' || reply.statusCode >= 400) return payload;
    reply.code(500);
    return JSON.stringify(new CciApiError(500, 'InternalError', 'injected fault: the request was carried out but its response was lost').toStatus());
  });
  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const apiErr = err instanceof CciApiError ? err : new CciApiError(err.statusCode ?? 500, err.statusCode && err.statusCode < 500 ? 'BadRequest' : 'InternalError', err.message);
    if (apiErr.code >= 500) deps.log.error({ err: err.message }, 'request failed');
    void reply.code(apiErr.code).send(apiErr.toStatus());
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send(new CciApiError(404, 'NotFound', `the server could not find the requested resource (${req.method} ${req.url.split('?')[0]})`).toStatus());
  });

  const checkNs = (req: FastifyRequest): void => {
    const ns = (req.params as { ns: string }).ns;
    if (ns !== namespace) throw new CciApiError(404, 'NotFound', `namespaces "${ns}" not found (this CCI serves "${namespace}")`);
  };
  const podsPath = cciPaths.pods(':ns');
  const podPath = cciPaths.pod(':ns', ':name');
  const nameOf = (req: FastifyRequest): string => (req.params as { name: string }).name;

  app.post(podsPath, async (req, reply) => {
    checkNs(req);
    return reply.code(201).send(await pods.settled(pods.create(req.body as CciPod)));
  });
  app.get(podsPath, async (req, reply) => {
    checkNs(req);
    const q = req.query as Record<string, string | undefined>;
    let selector;
    try {
      selector = parseSelector(q.labelSelector ?? '');
    } catch (err) {
      throw badRequest(`labelSelector: ${errorMessage(err)}`);
    }
    if (q.watch === 'true' || q.watch === '1') return watch(req, reply, q, selector);
    if (q.limit !== undefined && !/^\d+$/.test(q.limit)) throw badRequest(`limit must be a non-negative integer, got ${JSON.stringify(q.limit)}`);
    const matching = store.list().filter((p) => matchesSelector(selector, p.metadata.labels));
    const page = listPage(matching, store.resourceVersion, store.oldestResumable, q.limit === undefined ? undefined : Number(q.limit), q.continue);
    const list: CciPodList = {
      apiVersion: 'cci/v2',
      kind: 'PodList',
      metadata: { resourceVersion: page.resourceVersion, ...(page.continue ? { continue: page.continue } : {}) },
      items: page.items,
    };
    return list;
  });
  app.get(podPath, async (req) => {
    checkNs(req);
    return pods.get(nameOf(req));
  });
  app.delete(podPath, async (req) => {
    checkNs(req);
    const q = req.query as Record<string, string | undefined>;
    const body = (req.body ?? {}) as { gracePeriodSeconds?: number };
    const raw = q.gracePeriodSeconds ?? (body.gracePeriodSeconds === undefined ? undefined : String(body.gracePeriodSeconds));
    if (raw !== undefined && !/^\d+$/.test(raw)) throw badRequest(`gracePeriodSeconds must be a non-negative integer, got ${JSON.stringify(raw)}`);
    return pods.delete(nameOf(req), raw === undefined ? undefined : Number(raw));
  });
  app.get(cciPaths.podLog(':ns', ':name'), async (req, reply) => {
    checkNs(req);
    serveLog(req, reply, pods.runner(nameOf(req)));
  });
  app.get(cciPaths.podStats(':ns'), async (req) => {
    checkNs(req);
    return pods.stats();
  });
  app.get(cciPaths.network(':ns'), async (req) => {
    checkNs(req);
    return deps.networks.list(namespace)[0]!;
  });
  app.get(cciPaths.networks(':ns'), async (req) => {
    checkNs(req);
    const list: CciNetworkList = { apiVersion: 'cci/v2', kind: 'NetworkList', items: deps.networks.list(namespace) };
    return list;
  });
  // Not CCI's API: how a test fails (and heals) a Network, as an AZ or subnet outage would.
  app.put(`${MOCK_ADMIN_PREFIX}/namespaces/:ns/networks/:name/phase`, async (req) => {
    checkNs(req);
    const phase = (req.body as { phase?: unknown } | undefined)?.phase;
    if (phase !== 'Active' && phase !== 'Unavailable') throw badRequest('body: expected {"phase": "Active" | "Unavailable"}');
    return deps.networks.setPhase(nameOf(req), phase);
  });
  app.get(cciPaths.quota(':ns'), async (req) => {
    checkNs(req);
    const quota: CciQuota = {
      apiVersion: 'cci/v2',
      kind: 'ResourceQuota',
      metadata: { name: 'cci-quota', namespace },
      status: { hard: formatUsage(pods.hard), used: formatUsage(pods.used) },
    };
    return quota;
  });

  function watch(req: FastifyRequest, reply: FastifyReply, q: Record<string, string | undefined>, selector: ReturnType<typeof parseSelector>): void {
    const matches = (line: string): boolean => {
      if (selector.length === 0) return true;
      const event = JSON.parse(line) as { object: CciPod };
      return matchesSelector(selector, event.object.metadata?.labels);
    };
    const res = reply.raw;
    let open = true;
    const send = (line: string): void => {
      if (open && matches(line)) res.write(line);
    };
    const started = store.watch(q.resourceVersion, send);
    if (!started) {
      throw new CciApiError(410, 'Expired', `too old resource version: ${q.resourceVersion} (${store.resourceVersion})`);
    }
    reply.hijack();
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    for (const line of started.initial) send(line);
    const timers: NodeJS.Timeout[] = [];
    if (q.allowWatchBookmarks !== 'false') timers.push(setInterval(() => open && res.write(store.bookmarkLine()), deps.bookmarkIntervalMs ?? 5_000));
    const timeout = Number(q.timeoutSeconds ?? 0);
    if (timeout > 0) timers.push(setTimeout(() => res.end(), timeout * 1000));
    if (faults.options.dropWatchAfterMs > 0) timers.push(setTimeout(() => res.destroy(), faults.options.dropWatchAfterMs));
    res.once('close', () => {
      open = false;
      started.stop();
      for (const t of timers) clearTimeout(t);
    });
    req.raw.once('close', () => res.end());
  }

  app.server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
    if (authorized(req)) guard.admit(req.socket);
    handleUpgrade({ namespace, authorized, runner: (name) => pods.runner(name) }, req, socket, head);
  });
  return app;
}

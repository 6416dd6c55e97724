// startApiServer: the local control plane's Kubernetes API server (HTTPS on fastify).
// Extensions (the pod proxy to kubelets) get the app and the auth functions, and register
// their own routes, which take precedence over the generic REST routes.
import type { IncomingMessage } from 'node:http';
import { isIPv6, type AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import Fastify, { LogController, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from '../../log/logger.ts';
import { createLocalPki, writeKubeconfig, type LocalPki, type UserInfo } from '../pki.ts';
import { createAuthenticator, Policy, type AuthzAttributes, type DenyRule } from './auth.ts';
import { buildOpenApiV3 } from './discovery.ts';
import { ApiError } from './errors.ts';
import { Registry } from './registry.ts';
import { findResource } from './resources.ts';
import { registerRestRoutes, sendError } from './rest.ts';
import { ServiceIpAllocator } from './service-ips.ts';
import { ObjectStore, type KubeObject } from './store.ts';
import { urlHost } from '../../net/url-host.ts';

export { ObjectStore, type KubeObject } from './store.ts';
export type { DenyRule } from './auth.ts';

export interface ApiServerExtensionContext {
  store: ObjectStore;
  pki: LocalPki;
  authenticate(req: IncomingMessage): UserInfo | null;
  authorize(user: UserInfo, attrs: AuthzAttributes): boolean;
}

export type ApiServerExtension = (app: FastifyInstance, ctx: ApiServerExtensionContext) => void | Promise<void>;

export interface ApiServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  stateDir: string;
  logger?: Logger;
  extensions?: ApiServerExtension[];
  /** Watch history window (events); older resourceVersions get 410 Gone. */
  historyLimit?: number;
  /** How often watches that allow bookmarks get one. */
  bookmarkIntervalMs?: number;
  /** How long Events live (kube-apiserver's --event-ttl); default one hour. */
  eventTtlMs?: number;
  /** Authorization deny rules for non-admin users (tests). */
  denyRules?: DenyRule[];
}

export interface ApiServer {
  url: string;
  kubeconfigPath: string;
  pki: LocalPki;
  store: ObjectStore;
  app: FastifyInstance;
  /** Authorization policy; tests add deny rules at run time. */
  policy: Policy;
  close(): Promise<void>;
}

const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const core = (plural: string) => findResource('', 'v1', plural)!;

/** Creates what every namespace gets from kube-controller-manager: the default ServiceAccount and kube-root-ca.crt. */
function populateNamespace(registry: Registry, pki: LocalPki, namespace: string): void {
  const ensure = (plural: string, obj: KubeObject): void => {
    if (!registry.store.get(plural, namespace, obj.metadata.name ?? '')) registry.create(core(plural), namespace, obj);
  };
  ensure('serviceaccounts', { metadata: { name: 'default' } });
  ensure('configmaps', { metadata: { name: 'kube-root-ca.crt', annotations: { 'kubernetes.io/description': 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc.' } }, data: { 'ca.crt': pki.caPem } });
}

function seed(registry: Registry, pki: LocalPki): void {
  for (const name of DEFAULT_NAMESPACES) registry.create(core('namespaces'), '', { metadata: { name } });
  // The namespace controllers' share: every namespace, now and later, gets its defaults.
  registry.store.watch('namespaces', { resourceVersion: '0' }, (ev) => {
    if (ev.type === 'ADDED') setImmediate(() => {
      const ns = ev.object.metadata.name ?? '';
      const live = registry.store.get('namespaces', '', ns);
      if (live && !live.metadata.deletionTimestamp) populateNamespace(registry, pki, ns);
    });
  }, () => undefined);
}

/** The `kubernetes` Service at 198.19.0.1:443 and its endpoints, which the real apiserver keeps pointing at itself. */
function publishKubernetesService(registry: Registry, address: string, port: number): void {
  const ports = [{ name: 'https', port, protocol: 'TCP' }];
  const labels = { component: 'apiserver', provider: 'kubernetes' };
  registry.create(core('services'), 'default', {
    metadata: { name: 'kubernetes', labels },
    spec: { clusterIP: '198.19.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }] },
  });
  registry.create(core('endpoints'), 'default', { metadata: { name: 'kubernetes', labels }, subsets: [{ addresses: [{ ip: address }], ports }] });
  registry.create(findResource('discovery.k8s.io', 'v1', 'endpointslices')!, 'default', {
    metadata: { name: 'kubernetes', labels: { 'kubernetes.io/service-name': 'kubernetes', 'endpointslice.kubernetes.io/managed-by': 'burstlet-local-apiserver' } },
    addressType: isIPv6(address) ? 'IPv6' : 'IPv4',
    endpoints: [{ addresses: [address], conditions: { ready: true, serving: true, terminating: false } }],
    ports,
  });
}

/** Removes Events older than `ttlMs` every minute, so a long-running plane's memory stays bounded. */
export function expireEvents(store: ObjectStore, ttlMs: number): NodeJS.Timeout {
  return setInterval(() => {
    const cutoff = Date.now() - ttlMs;
    for (const ev of store.list('events').items) {
      if (Date.parse(ev.metadata.creationTimestamp ?? '') < cutoff) store.remove('events', ev.metadata.namespace ?? '', ev.metadata.name ?? '');
    }
  }, Math.min(60_000, ttlMs)).unref();
}

/** The addresses a listener on `host` answers on, for the serving certificate. */
function servingAddresses(host: string): string[] {
  if (host !== '0.0.0.0' && host !== '::') return [host];
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address.split('%')[0]!));
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const host = opts.host ?? '127.0.0.1';
  const pki = await createLocalPki(opts.stateDir, { servingIps: servingAddresses(host) });
  const store = new ObjectStore({ historyLimit: opts.historyLimit });
  const registry = new Registry(store, { ips: new ServiceIpAllocator() });
  const policy = new Policy(opts.denyRules);
  const authenticate = createAuthenticator(pki);
  // Typed as the plain FastifyInstance extensions expect; the server underneath is https.Server.
  const app = Fastify({
    https: { key: pki.serving.keyPem, cert: pki.serving.certPem, ca: pki.caPem, requestCert: true, rejectUnauthorized: false },
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 4 * 1024 * 1024,
    // Watches and streams stay open for as long as their clients want.
    requestTimeout: 0,
    // Shutdown must not wait for watches and upgraded streams to end by themselves.
    forceCloseConnections: true,
  }) as unknown as FastifyInstance;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err: FastifyError | ApiError, _req, reply) => {
    if (err instanceof ApiError) return sendError(reply, err);
    const code = typeof err.statusCode === 'number' && err.statusCode >= 400 ? err.statusCode : 500;
    if (code >= 500) opts.logger?.error({ err }, 'API request failed');
    return sendError(reply, new ApiError(code, code === 413 ? 'RequestEntityTooLarge' : code >= 500 ? 'InternalError' : 'BadRequest', err.message));
  });
  app.setNotFoundHandler((_req, reply) => sendError(reply, new ApiError(404, 'NotFound', 'the server could not find the requested resource')));

  let url = '';
  registerRestRoutes(app, {
    registry,
    pki,
    policy,
    authenticate,
    openapi: buildOpenApiV3(),
    serverAddress: () => new URL(url).host,
    bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 10_000,
  });
  const authorize = (user: UserInfo, attrs: AuthzAttributes): boolean => policy.allows(user, attrs);
  for (const ext of opts.extensions ?? []) await ext(app, { store, pki, authenticate, authorize });

  seed(registry, pki);
  const eventExpiry = expireEvents(store, opts.eventTtlMs ?? 3_600_000);
  await app.listen({ host, port: opts.port ?? 0 });
  const port = (app.server.address() as AddressInfo).port;
  // Clients of a server on every interface use loopback; the certificate covers the rest.
  const advertised = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  url = `https://${urlHost(advertised)}:${port}`;
  publishKubernetesService(registry, advertised, port);
  const kubeconfigPath = join(opts.stateDir, 'kubeconfig');
  await writeKubeconfig(kubeconfigPath, url, pki.caPem, { client: pki.admin });
  return {
    url,
    kubeconfigPath,
    pki,
    store,
    app,
    policy,
    async close() {
      clearInterval(eventExpiry);
      store.dropWatches();
      await app.close();
    },
  };
}

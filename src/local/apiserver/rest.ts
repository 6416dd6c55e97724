// The HTTP face of the API: authentication, authorization, and dispatch of each verb to the
// registry, encoding answers the way the client asked. Registered as catch-all routes, so
// the more specific routes extensions add (pods/{name}/exec, ...) take precedence.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LocalPki, UserInfo } from '../pki.ts';
import { reviewAccess, reviewToken, type AuthzAttributes, type Policy } from './auth.ts';
import { apiGroupDoc, apiGroupList, apiResourceList, apiVersions, SERVER_VERSION, type OpenApiV3 } from './discovery.ts';
import {
  deleteOptionsOf,
  encodeList,
  encodeObject,
  isDryRun,
  negotiate,
  queryValue,
  selectorFilter,
  type Query,
} from './encoding.ts';
import { ApiError, badRequest, forbidden, methodNotAllowed, success, unauthorized, unsupportedMediaType } from './errors.ts';
import { checkUnknownFields, type FieldValidation } from './field-validation.ts';
import { isObject, type JsonObject } from './patch.ts';
import { buildOpenApiV2 } from './openapi-v2.ts';
import { parseBody } from './body.ts';
import { paginate } from './paging.ts';
import { decodeProtobuf } from './protobuf.ts';
import type { PatchType, Registry } from './registry.ts';
import { EXTENSION_SUBRESOURCES, type ResourceDef } from './resources.ts';
import { parseApiPath, verbOf, type ApiPath } from './routes.ts';
import { serveScale, type ScaleRequest } from './scale.ts';
import type { KubeObject } from './store.ts';
import { toTable } from './table.ts';
import { viewFor } from './views.ts';
import { serveWatch, storedJson } from './watch.ts';

export interface RestContext {
  registry: Registry;
  pki: LocalPki;
  policy: Policy;
  authenticate(req: FastifyRequest['raw']): UserInfo | null;
  openapi: OpenApiV3;
  serverAddress(): string;
  bookmarkIntervalMs: number;
}

const PROTOBUF = 'application/vnd.kubernetes.protobuf';

const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
  'application/apply-patch+cbor': 'apply',
};

function sendJson(reply: FastifyReply, code: number, body: unknown): FastifyReply {
  return reply.code(code).header('content-type', 'application/json').send(JSON.stringify(body));
}

/** A stored object as JSON, reusing the serialization its watch event already made. */
function sendStored(reply: FastifyReply, code: number, body: unknown, stored: boolean): FastifyReply {
  if (!stored || typeof body !== 'object' || body === null) return sendJson(reply, code, body);
  return reply.code(code).header('content-type', 'application/json').send(storedJson(body));
}

export function sendError(reply: FastifyReply, err: ApiError): FastifyReply {
  return sendJson(reply, err.status.code, err.status);
}

function requireUser(ctx: RestContext, req: FastifyRequest): UserInfo {
  const user = ctx.authenticate(req.raw);
  if (!user) throw unauthorized();
  return user;
}

export function registerRestRoutes(app: FastifyInstance, ctx: RestContext): void {
  const discovery = (handler: (req: FastifyRequest) => unknown) => async (req: FastifyRequest, reply: FastifyReply) => {
    requireUser(ctx, req);
    const body = handler(req);
    if (body === undefined) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    return sendJson(reply, 200, body);
  };
  app.get('/version', discovery(() => SERVER_VERSION));
  app.get('/api', discovery(() => apiVersions(ctx.serverAddress())));
  app.get('/apis', discovery(() => apiGroupList()));
  app.get('/apis/:group', discovery((req) => apiGroupDoc((req.params as { group: string }).group)));
  app.get('/openapi/v3', discovery(() => ctx.openapi.root));
  const openApiV2 = buildOpenApiV2(SERVER_VERSION.gitVersion);
  app.get('/openapi/v2', async (req, reply) => {
    requireUser(ctx, req);
    return reply.code(200).header('content-type', 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf').send(openApiV2);
  });
  app.get('/openapi/v3/*', async (req, reply) => {
    requireUser(ctx, req);
    const key = (req.params as { '*': string })['*'];
    const doc = ctx.openapi.docs.get(key);
    if (doc === undefined) throw new ApiError(404, 'NotFound', `no OpenAPI v3 document for ${key}`);
    return reply.code(200).header('content-type', 'application/json').send(doc);
  });
  for (const path of ['/healthz', '/livez', '/readyz']) app.get(path, async (_req, reply) => reply.code(200).header('content-type', 'text/plain').send('ok'));

  const handler = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const user = requireUser(ctx, req);
    const url = new URL(req.url, 'https://local');
    const path = parseApiPath(url.pathname);
    if (!path) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    if (!path.def && path.unknownResource === undefined) {
      const list = req.method === 'GET' ? apiResourceList(path.group, path.version) : undefined;
      if (!list) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      return sendJson(reply, 200, list);
    }
    if (!path.def) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const q = req.query as Query;
    const verb = verbOf(req.method, path, queryValue(q, 'watch'));
    const sub = path.subresource;
    if (sub !== undefined && EXTENSION_SUBRESOURCES[`${path.def.plural}/${sub}`]) {
      throw new ApiError(503, 'ServiceUnavailable', `${path.def.plural}/${sub} is not served: no node proxy extension is installed`);
    }
    if (sub !== undefined && !path.def.subresources.includes(sub)) throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${path.def.plural}/${sub})`);
    const attrs: AuthzAttributes = { verb, resource: path.def.plural, subresource: sub, namespace: path.namespace, name: path.name };
    if (!ctx.policy.allows(user, attrs)) throw forbidden(user.username, verb, path.def, path.namespace, path.name, sub);
    return dispatch(ctx, req, reply, path as ApiPath & { def: ResourceDef }, verb, q, user);
  };
  app.all('/api/*', handler);
  app.all('/apis/*', handler);
}

async function dispatch(
  ctx: RestContext,
  req: FastifyRequest,
  reply: FastifyReply,
  path: ApiPath & { def: ResourceDef },
  verb: string,
  query: Query,
  user: UserInfo,
): Promise<FastifyReply | undefined> {
  const apiDef = path.def;
  const name = path.name;
  const ns = path.namespace ?? '';
  if (apiDef.namespaced && ns === '' && !['list', 'watch'].includes(verb)) {
    if (verb !== 'create' || !apiDef.review) throw badRequest(`${apiDef.plural} is namespaced: use /namespaces/{namespace}/${apiDef.plural}`);
  }
  // The registry works on the stored form; answers are converted back to the API's form.
  const view = viewFor(apiDef);
  const def = view.def;
  const q = view.query(query);
  const rep = negotiate(req.headers.accept);
  // Plain JSON of the stored object itself, which watch events have usually serialized already.
  const plain = rep === 'json' && def === apiDef;
  const one = (o: KubeObject): unknown => encodeObject(apiDef, view.fromStorage(o), rep, query);
  const many = (items: KubeObject[], rv: number, more?: { continue?: string; remainingItemCount?: number }): unknown =>
    encodeList(apiDef, items.map(view.fromStorage), rv, rep, query, more);
  const input = (body: unknown): unknown => (isObject(body) && isObject(body.metadata) ? view.toStorage(body as KubeObject) : body);
  const registry = ctx.registry;
  if (path.subresource === 'scale') return sendJson(reply, 200, serveScale(registry, def, ns, name!, scaleRequest(req, verb, apiDef), isDryRun(q)));
  const sub = path.subresource as 'status' | undefined;
  switch (verb) {
    case 'get':
      return sendJson(reply, 200, one(registry.get(def, ns, name!)));
    case 'list': {
      const filter = selectorFilter(def, q);
      const { items, resourceVersion } = registry.store.list(def.storage, path.namespace);
      const limit = Number(queryValue(q, 'limit') ?? 0);
      const page = paginate(items.filter(filter), resourceVersion, Number.isInteger(limit) ? limit : 0, queryValue(q, 'continue'));
      const more = page.continue === undefined ? {} : { continue: page.continue, remainingItemCount: page.remainingItemCount };
      return sendJson(reply, 200, many(page.items, page.resourceVersion, more));
    }
    case 'watch': {
      const selected = selectorFilter(def, q);
      const filter = name === undefined ? selected : (o: KubeObject) => o.metadata.name === name && selected(o);
      const timeout = Number(queryValue(q, 'timeoutSeconds') ?? 1800);
      reply.hijack();
      serveWatch(registry.store, reply.raw, {
        def: apiDef,
        storage: def.storage,
        namespace: path.namespace,
        resourceVersion: queryValue(q, 'resourceVersion'),
        filter,
        plain,
        encode: (o, first) =>
          rep === 'table' ? toTable(apiDef.kind, [view.fromStorage(o)], includeFor(q), { resourceVersion: o.metadata.resourceVersion }, first) : one(o),
        allowBookmarks: queryValue(q, 'allowWatchBookmarks') === 'true',
        sendInitialEvents: queryValue(q, 'sendInitialEvents') === 'true',
        bookmarkIntervalMs: ctx.bookmarkIntervalMs,
        timeoutMs: (Number.isFinite(timeout) && timeout > 0 ? timeout : 1800) * 1000,
      });
      return undefined;
    }
    case 'create': {
      const body = readBody(req, apiDef, q, reply);
      if (def.review) return sendJson(reply, 201, review(ctx, def, body, user));
      const dryRun = isDryRun(q);
      if (sub === ('binding' as string)) {
        registry.bind(ns, name!, body, def);
        return sendJson(reply, 201, success(201));
      }
      if (sub === ('token' as string)) return sendJson(reply, 201, tokenRequest(ctx, registry.get(def, ns, name!), body));
      if (sub === ('eviction' as string)) {
        const opts = deleteOptionsOf(isObject(body) ? body.deleteOptions : undefined, {});
        registry.delete(def, ns, name!, opts, dryRun);
        return sendJson(reply, 201, success(201));
      }
      if (name !== undefined) throw methodNotAllowed(`POST is not allowed on a named ${def.singular}`);
      return sendStored(reply, 201, one(registry.create(def, ns, input(body), dryRun)), plain && !dryRun);
    }
    case 'update':
      return sendStored(reply, 200, one(registry.update(def, ns, name!, input(readBody(req, apiDef, q, reply)), sub, isDryRun(q))), plain);
    case 'patch': {
      const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
      const type = PATCH_TYPES[contentType];
      if (!type) throw unsupportedMediaType(contentType);
      const existed = registry.store.get(def.storage, ns, name!) !== undefined;
      const patch = parseBody(req.body, contentType);
      // Merge-style patches have the object's shape, so unknown fields can be found in them.
      if (type !== 'json' && isObject(patch)) applyFieldValidation(apiDef.kind, patch, q, reply);
      const patched = registry.patch(def, ns, name!, type, patch, { subresource: sub, dryRun: isDryRun(q), view, fieldManager: queryValue(q, 'fieldManager') });
      return sendStored(reply, existed ? 200 : 201, one(patched), plain);
    }
    case 'delete': {
      const result = registry.delete(def, ns, name!, deleteOptionsOf(optionalBody(req), q), isDryRun(q));
      return sendJson(reply, result.removed ? 200 : 202, one(result.object));
    }
    case 'deletecollection': {
      const filter = selectorFilter(def, q);
      const opts = deleteOptionsOf(optionalBody(req), q);
      const dryRun = isDryRun(q);
      const deleted = registry.store
        .list(def.storage, path.namespace)
        .items.filter(filter)
        .map((o) => registry.delete(def, o.metadata.namespace ?? '', o.metadata.name ?? '', opts, dryRun).object);
      return sendJson(reply, 200, many(deleted, registry.store.resourceVersion()));
    }
    default:
      throw methodNotAllowed(`${req.method} is not supported`);
  }
}

function scaleRequest(req: FastifyRequest, verb: string, def: ResourceDef): ScaleRequest {
  if (verb === 'get') return { verb };
  // A Scale, not the parent kind: no field validation against the parent's schema.
  if (verb === 'update') return { verb, body: parseBody(req.body, (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim()) };
  if (verb !== 'patch') throw methodNotAllowed(`${req.method} is not supported on ${def.plural}/scale`);
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  const type = PATCH_TYPES[contentType];
  if (!type || type === 'apply') throw unsupportedMediaType(contentType);
  return { verb, type, patch: parseBody(req.body, contentType) };
}

function includeFor(q: Query): 'None' | 'Metadata' | 'Object' {
  const v = queryValue(q, 'includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

function optionalBody(req: FastifyRequest): unknown {
  const raw = req.body;
  if (raw === undefined || raw === null || (Buffer.isBuffer(raw) && raw.length === 0)) return undefined;
  return parseBody(raw, 'application/json');
}

/** Parses a create/update body and applies fieldValidation (Strict: 400, Warn: Warning headers). */
function readBody(req: FastifyRequest, def: ResourceDef, q: Query, reply: FastifyReply): unknown {
  const contentType = (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim();
  if (contentType === PROTOBUF) return decodeProtobuf(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), def.kind);
  if (contentType !== 'application/json' && contentType !== 'application/yaml') throw unsupportedMediaType(contentType);
  const body = parseBody(req.body, contentType);
  if (isObject(body)) applyFieldValidation(def.kind, body, q, reply);
  return body;
}

/** fieldValidation: Strict fails with 400 on unknown fields, Warn (the default) adds Warning headers, Ignore does nothing. */
function applyFieldValidation(kind: string, body: JsonObject, q: Query, reply: FastifyReply): void {
  const mode = (queryValue(q, 'fieldValidation') ?? 'Warn') as FieldValidation;
  const unknown = mode === 'Ignore' ? [] : checkUnknownFields(kind, body).filter((f) => !f.includes('$'));
  if (unknown.length > 0 && mode === 'Strict') throw badRequest(`strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
  if (unknown.length > 0 && mode === 'Warn') reply.header('warning', unknown.map((f) => `299 - "unknown field \\"${f}\\""`));
}

/** serviceaccounts/{name}/token: a bearer token for the ServiceAccount, as kubectl create token asks. */
function tokenRequest(ctx: RestContext, sa: KubeObject, body: unknown): JsonObject {
  const ns = sa.metadata.namespace ?? '';
  const spec = isObject(body) && isObject(body.spec) ? body.spec : {};
  const seconds = typeof spec.expirationSeconds === 'number' ? spec.expirationSeconds : 3600;
  const token = ctx.pki.mintToken({ username: `system:serviceaccount:${ns}:${sa.metadata.name ?? ''}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`] }, seconds);
  const expirationTimestamp = new Date(Date.now() + seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  return { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: { name: sa.metadata.name, namespace: ns, creationTimestamp: null }, spec: { ...spec, expirationSeconds: seconds }, status: { token, expirationTimestamp } };
}

function review(ctx: RestContext, def: ResourceDef, body: unknown, user: UserInfo): JsonObject {
  const b: JsonObject = isObject(body) ? body : {};
  if (def.kind === 'TokenReview') return reviewToken(ctx.pki, b);
  if (def.kind === 'SelfSubjectReview') {
    return { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', metadata: { creationTimestamp: null }, status: { userInfo: { username: user.username, groups: user.groups } } };
  }
  return reviewAccess(ctx.policy, b, def.kind === 'SelfSubjectAccessReview' ? user : undefined);
}

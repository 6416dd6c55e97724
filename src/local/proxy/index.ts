// The pod proxy subresources of the local API server: pods/{name}/log, exec, attach and
// portforward, forwarded to the pod's kubelet with the kubelet client certificate, the way
// kube-apiserver 1.30+ does it: SPDY from kubectl is tunnelled raw to the kubelet's SPDY;
// WebSocket exec/attach is terminated here and spoken to the kubelet as SPDY remote command v4
// (the StreamTranslator); WebSocket port-forward carries SPDY frames, unwrapped and tunnelled.
import type { IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../log/logger.ts';
import { dialUpgrade, headerList, refuseUpgrade, spliceSockets, switchProtocols } from '../../streams/http-upgrade.ts';
import { bridgeRemoteCommand, kubeletRemoteCommandQuery, parseRemoteCommandQuery } from '../../streams/remote-command.ts';
import { openSpdyRemoteCommand, REMOTE_COMMAND_SPDY_PROTOCOLS } from '../../streams/spdy/remote-command.ts';
import { dialSpdy, SPDY_UPGRADE, STREAM_PROTOCOL_HEADER, UpgradeRefusedError } from '../../streams/spdy/upgrade.ts';
import { REMOTE_COMMAND_WS_PROTOCOLS } from '../../streams/websocket-channels.ts';
import { serveWebSocketRemoteCommand } from '../../streams/websocket-remote-command.ts';
import { PORT_FORWARD_TUNNEL_PROTOCOL, SPDY_TUNNEL_PREFIX, tunnelWebSocket } from '../../streams/websocket-tunnel.ts';
import { acceptWebSocket, isWebSocketUpgrade } from '../../streams/websocket-upgrade.ts';
import type { ApiServerExtension, ApiServerExtensionContext } from '../apiserver/index.ts';
import {
  authorizationVerb,
  failureStatus,
  kubeletEndpoint,
  kubeletLogQuery,
  kubeletPath,
  parsePodSubresourcePath,
  resolveContainer,
  type PodSubresourcePath,
  type StatusBody,
} from './kubelet-target.ts';
import { urlHost } from '../../net/url-host.ts';
import { errorMessage } from '../../log/error-message.ts';

export interface PodProxyOptions {
  /**
   * Accept kubelet serving certificates that do not chain to the cluster CA (a burstlet node
   * started without --tls-cert-file serves a self-signed one), like kube-apiserver without
   * --kubelet-certificate-authority. When false, kubelets must present a CA-issued certificate.
   */
  allowUnverifiedKubelets: boolean;
  logger?: Logger;
}

type Resolved = { url: URL } | { status: StatusBody };

function resolveTarget(ctx: ApiServerExtensionContext, req: IncomingMessage, target: PodSubresourcePath, query: URLSearchParams): Resolved {
  const user = ctx.authenticate(req);
  if (!user) return { status: failureStatus(401, 'Unauthorized', 'Unauthorized') };
  const verb = authorizationVerb(target.subresource);
  const allowed = ctx.authorize(user, { verb, resource: 'pods', subresource: target.subresource, namespace: target.namespace, name: target.pod });
  if (!allowed) {
    const message = `pods "${target.pod}" is forbidden: User "${user.username}" cannot ${verb} resource "pods/${target.subresource}" in API group "" in the namespace "${target.namespace}"`;
    return { status: failureStatus(403, 'Forbidden', message) };
  }
  const pod = ctx.store.get('pods', target.namespace, target.pod) as V1Pod | undefined;
  if (!pod) return { status: failureStatus(404, 'NotFound', `pods "${target.pod}" not found`) };
  let container = '';
  if (target.subresource !== 'portforward') {
    const resolved = resolveContainer(pod, query.get('container'));
    if ('error' in resolved) return { status: failureStatus(400, 'BadRequest', resolved.error) };
    container = resolved.container;
  }
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) return { status: failureStatus(400, 'BadRequest', `pod ${target.pod} does not have a host assigned`) };
  const node = ctx.store.get('nodes', '', nodeName) as V1Node | undefined;
  if (!node) return { status: failureStatus(404, 'NotFound', `nodes "${nodeName}" not found`) };
  const endpoint = kubeletEndpoint(node);
  if (!endpoint) return { status: failureStatus(503, 'ServiceUnavailable', `node ${nodeName} reports no kubelet address or port in its status`) };
  const host = urlHost(endpoint.host);
  const url = new URL(`https://${host}:${endpoint.port}${kubeletPath(target.subresource, target.namespace, target.pod, container)}`);
  if (target.subresource === 'log') url.search = kubeletLogQuery(query).toString();
  if (target.subresource === 'exec' || target.subresource === 'attach') url.search = kubeletRemoteCommandQuery(parseRemoteCommandQuery(query)).toString();
  return { url };
}

function refuseWithStatus(socket: Duplex, status: StatusBody): void {
  refuseUpgrade(socket, status.code, status.reason, JSON.stringify(status), { 'Content-Type': 'application/json' });
}

function refuseWithUpstream(socket: Duplex, err: unknown): void {
  if (err instanceof UpgradeRefusedError) {
    refuseUpgrade(socket, err.status, 'Upstream Refused', err.body, err.contentType ? { 'Content-Type': err.contentType } : {});
  } else {
    refuseWithStatus(socket, failureStatus(502, 'InternalError', `error dialing the kubelet: ${errorMessage(err)}`));
  }
}

export function podProxyExtension(options: PodProxyOptions): ApiServerExtension {
  return (app: FastifyInstance, ctx: ApiServerExtensionContext) => {
    const tls: ConnectionOptions = {
      cert: ctx.pki.kubeletClient.certPem,
      key: ctx.pki.kubeletClient.keyPem,
      ca: ctx.pki.caPem,
      rejectUnauthorized: !options.allowUnverifiedKubelets,
      // Kubelets are addressed by whatever their Node reports; trust comes from the CA alone.
      checkServerIdentity: () => undefined,
    };
    const log = options.logger;
    // Upgraded connections leave the HTTP server's bookkeeping but still hold the listener open:
    // end them before it closes (preClose), or close() waits for them.
    const live = new Set<Duplex>();
    app.addHook('preClose', async () => {
      for (const s of live) s.destroy();
    });

    app.get('/api/v1/namespaces/:namespace/pods/:name/log', (req, reply) => {
      const { namespace, name } = req.params as { namespace: string; name: string };
      const query = new URL(req.url, 'https://x').searchParams;
      const resolved = resolveTarget(ctx, req.raw, { namespace, pod: name, subresource: 'log' }, query);
      if ('status' in resolved) return reply.code(resolved.status.code).header('content-type', 'application/json').send(resolved.status);
      reply.hijack();
      const res = reply.raw;
      const upstream = https.get(resolved.url, { ...tls, agent: false }, (kres) => {
        res.writeHead(kres.statusCode ?? 502, { 'content-type': kres.headers['content-type'] ?? 'text/plain', 'transfer-encoding': 'chunked' });
        kres.pipe(res);
        kres.on('error', () => res.destroy());
      });
      upstream.on('error', (err) => {
        if (res.headersSent) return void res.destroy();
        const status = failureStatus(502, 'InternalError', `error dialing the kubelet: ${err.message}`);
        res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify(status));
      });
      res.on('close', () => upstream.destroy());
    });

    app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(req.url ?? '/', 'https://x');
      const target = parsePodSubresourcePath(url.pathname);
      if (!target || target.subresource === 'log') {
        if (app.server.listenerCount('upgrade') === 1) refuseWithStatus(socket, failureStatus(404, 'NotFound', 'the server could not find the requested resource'));
        return;
      }
      socket.on('error', () => socket.destroy());
      live.add(socket);
      socket.once('close', () => live.delete(socket));
      const resolved = resolveTarget(ctx, req, target, url.searchParams);
      if ('status' in resolved) return refuseWithStatus(socket, resolved.status);
      const job = isWebSocketUpgrade(req)
        ? target.subresource === 'portforward'
          ? tunnelPortForward(req, socket, head, resolved.url, tls)
          : translateRemoteCommand(req, socket, head, resolved.url, tls, url.searchParams)
        : relaySpdy(req, socket, head, resolved.url, tls);
      job.catch((err: unknown) => {
        log?.warn({ err, path: url.pathname }, 'pod proxy stream failed');
        socket.destroy();
      });
    });
  };
}

/** kubectl speaks SPDY: pass the upgrade to the kubelet and splice the two connections. */
async function relaySpdy(req: IncomingMessage, socket: Duplex, head: Buffer, target: URL, tls: ConnectionOptions): Promise<void> {
  const outcome = await dialUpgrade({
    url: target,
    method: req.method ?? 'POST',
    headers: { Connection: 'Upgrade', Upgrade: SPDY_UPGRADE, [STREAM_PROTOCOL_HEADER]: headerList(req.headers[STREAM_PROTOCOL_HEADER.toLowerCase()]) },
    tls,
  }).catch((err: unknown) => err as Error);
  if (outcome instanceof Error) return refuseWithUpstream(socket, outcome);
  if (!outcome.upgraded) return refuseWithUpstream(socket, new UpgradeRefusedError(outcome.status, outcome.body, outcome.headers['content-type']));
  const headers: Record<string, string> = { Connection: 'Upgrade', Upgrade: SPDY_UPGRADE };
  const chosen = headerList(outcome.headers[STREAM_PROTOCOL_HEADER.toLowerCase()])[0];
  if (chosen) headers[STREAM_PROTOCOL_HEADER] = chosen;
  switchProtocols(socket, headers);
  if (head.length > 0) outcome.socket.write(head);
  if (outcome.head.length > 0) socket.write(outcome.head);
  spliceSockets(socket, outcome.socket);
}

/** kubectl speaks WebSocket exec/attach: terminate it here and speak SPDY v4 to the kubelet. */
async function translateRemoteCommand(req: IncomingMessage, socket: Duplex, head: Buffer, target: URL, tls: ConnectionOptions, query: URLSearchParams): Promise<void> {
  const request = parseRemoteCommandQuery(query);
  let upstream;
  try {
    upstream = await dialSpdy({ url: target, method: 'POST', protocols: REMOTE_COMMAND_SPDY_PROTOCOLS, tls });
  } catch (err) {
    return refuseWithUpstream(socket, err);
  }
  const ws = await acceptWebSocket(req, socket, head, REMOTE_COMMAND_WS_PROTOCOLS);
  if (!ws) {
    upstream.session.destroy();
    return;
  }
  const session = serveWebSocketRemoteCommand(ws, request);
  try {
    const client = await openSpdyRemoteCommand(upstream.session, upstream.protocol, request);
    await bridgeRemoteCommand(session, client);
  } catch (err) {
    upstream.session.destroy();
    await session.finish({ error: `error talking to the kubelet: ${errorMessage(err)}` });
  }
}

/** kubectl tunnels SPDY port-forward in WebSocket messages: unwrap and splice to the kubelet's SPDY. */
async function tunnelPortForward(req: IncomingMessage, socket: Duplex, head: Buffer, target: URL, tls: ConnectionOptions): Promise<void> {
  const offered = headerList(req.headers['sec-websocket-protocol']).filter((p) => p.startsWith(SPDY_TUNNEL_PREFIX));
  if (!offered.includes(PORT_FORWARD_TUNNEL_PROTOCOL)) {
    return refuseWithStatus(socket, failureStatus(400, 'BadRequest', `port-forward over WebSocket needs subprotocol ${PORT_FORWARD_TUNNEL_PROTOCOL}`));
  }
  const outcome = await dialUpgrade({
    url: target,
    method: 'POST',
    headers: { Connection: 'Upgrade', Upgrade: SPDY_UPGRADE, [STREAM_PROTOCOL_HEADER]: PORT_FORWARD_TUNNEL_PROTOCOL.slice(SPDY_TUNNEL_PREFIX.length) },
    tls,
  }).catch((err: unknown) => err as Error);
  if (outcome instanceof Error) return refuseWithUpstream(socket, outcome);
  if (!outcome.upgraded) return refuseWithUpstream(socket, new UpgradeRefusedError(outcome.status, outcome.body, outcome.headers['content-type']));
  const ws = await acceptWebSocket(req, socket, head, [PORT_FORWARD_TUNNEL_PROTOCOL]);
  if (!ws) {
    outcome.socket.destroy();
    return;
  }
  if (outcome.head.length > 0) ws.send(outcome.head);
  tunnelWebSocket(ws, outcome.socket);
}

// The mock's WebSocket endpoints: exec and attach (Kubernetes channel protocols, via the
// shared codec in src/streams) and port-forward (one WebSocket = one TCP connection to the
// pod's port, binary messages both ways, close = FIN).
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { parseRemoteCommandQuery } from '../streams/remote-command.ts';
import { acceptWebSocket } from '../streams/websocket-upgrade.ts';
import { REMOTE_COMMAND_WS_PROTOCOLS } from '../streams/websocket-channels.ts';
import { serveWebSocketRemoteCommand } from '../streams/websocket-remote-command.ts';
import { sendPaced } from '../streams/websocket-send.ts';
import { attachToContainer, execInContainer } from './runtime/exec.ts';
import type { PodRunner } from './runtime/pod.ts';
import { CCI_API_PREFIX } from '../cci/types.ts';
import { badRequest, CciApiError } from './status.ts';
import { errorMessage } from '../log/error-message.ts';

export interface StreamDeps {
  namespace: string;
  authorized(req: IncomingMessage): boolean;
  runner(name: string): PodRunner;
}

function refuse(socket: Duplex, err: CciApiError): void {
  const body = JSON.stringify(err.toStatus());
  const text = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found' }[err.code] ?? 'Error';
  socket.end(`HTTP/1.1 ${err.code} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

function runningContainer(runner: PodRunner, name: string | null) {
  const podName = runner.pod.metadata.name;
  const chosen = name ?? (runner.containers.length === 1 ? runner.containers[0]!.spec.name : null);
  if (chosen === null) throw badRequest(`a container name must be specified for pod ${podName}, choose one of: [${runner.containers.map((c) => c.spec.name).join(' ')}]`);
  const c = runner.container(chosen);
  if (!c) throw badRequest(`container ${chosen} is not valid for pod ${podName}`);
  if (!c.running || !runner.sandbox) throw badRequest(`container ${chosen} is not running in pod ${podName}`);
  return { container: c, sandbox: runner.sandbox };
}

export function handleUpgrade(deps: StreamDeps, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  const url = new URL(req.url ?? '/', 'http://mock');
  const m = new RegExp(`^${CCI_API_PREFIX}/namespaces/([^/]+)/pods/([^/]+)/(exec|attach|portforward)$`).exec(url.pathname);
  try {
    if (!deps.authorized(req)) throw new CciApiError(401, 'Unauthorized', 'a valid X-Auth-Token header is required');
    if (!m) throw new CciApiError(404, 'NotFound', `no streaming endpoint at ${url.pathname}`);
    if (m[1] !== deps.namespace) throw new CciApiError(404, 'NotFound', `namespace "${m[1]}" is not served here`);
    const runner = deps.runner(decodeURIComponent(m[2]!));
    if (m[3] === 'portforward') return portForward(runner, url.searchParams, req, socket, head);
    const request = parseRemoteCommandQuery(url.searchParams);
    const { container, sandbox } = runningContainer(runner, request.container);
    if (m[3] === 'exec' && request.command.length === 0) throw badRequest('you must specify at least 1 command');
    void acceptWebSocket(req, socket, head, REMOTE_COMMAND_WS_PROTOCOLS).then((ws) => {
      if (!ws) return;
      const session = serveWebSocketRemoteCommand(ws, request);
      if (m[3] === 'exec') execInContainer(sandbox, container, request.command, session);
      else attachToContainer(container, session);
    });
  } catch (err) {
    refuse(socket, err instanceof CciApiError ? err : new CciApiError(500, 'InternalError', errorMessage(err)));
  }
}

const portForwardServer = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false });

function portForward(runner: PodRunner, params: URLSearchParams, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const port = Number(params.get('port'));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw badRequest('port must be an integer 1-65535');
  const sandbox = runner.sandbox;
  if (!sandbox) throw badRequest(`pod ${runner.pod.metadata.name} is not running`);
  portForwardServer.handleUpgrade(req, socket, head, (ws: WebSocket) => {
    const tcp = net.connect({ host: sandbox.reachableIP, port });
    tcp.setNoDelay(true);
    ws.on('message', (data: Buffer) => {
      if (!tcp.write(data)) ws.pause();
    });
    tcp.on('drain', () => ws.resume());
    tcp.on('data', (d: Buffer) => {
      tcp.pause(); // the pod waits while the kubelet is behind, rather than ws buffering it all
      sendPaced(ws, d, () => tcp.resume());
    });
    // A WebSocket cannot half-close: the end of either side ends the connection.
    tcp.once('end', () => ws.close(1000));
    tcp.once('error', (err) => ws.close(1011, err.message.slice(0, 100)));
    ws.once('close', () => tcp.end());
  });
}

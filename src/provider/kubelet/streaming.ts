// The kubelet's upgrade routes: /exec, /attach (remote command over SPDY or WebSocket) and
// /portForward (SPDY portforward.k8s.io), joined to the backend's streams.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../log/logger.ts';
import { refuseUpgrade, spliceSockets } from '../../streams/http-upgrade.ts';
import { acceptPortForward } from '../../streams/port-forward.ts';
import { acceptRemoteCommand, bridgeRemoteCommand, parseRemoteCommandQuery } from '../../streams/remote-command.ts';
import type { Pod } from '../../kube/wire.ts';
import type { KubeletBackend } from './backend.ts';
import { notFound, podAndContainer, statusBody } from './pod-lookup.ts';
import { errorMessage } from '../../log/error-message.ts';

export interface StreamingOptions {
  backend: KubeletBackend;
  streamCreationTimeoutMs: number;
  idleTimeoutMs: number;
  log?: Logger;
}

function refuseStatus(socket: Duplex, code: number, reason: string, message: string): void {
  refuseUpgrade(socket, code, reason, JSON.stringify(statusBody(code, reason, message)), { 'Content-Type': 'application/json' });
}

/** Serves one authorized upgrade request; answers 404 for paths it does not know. */
export async function serveStreaming(req: IncomingMessage, socket: Duplex, head: Buffer, o: StreamingOptions): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://kubelet');
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const [kind] = parts;
  if ((kind === 'exec' || kind === 'attach') && parts.length === 4) {
    const found = podAndContainer(o.backend, parts[1]!, parts[2]!, parts[3]!);
    if ('error' in found) return refuseStatus(socket, 404, 'NotFound', found.error);
    const request = parseRemoteCommandQuery(url.searchParams);
    if (kind === 'exec' && request.command.length === 0) return refuseStatus(socket, 400, 'BadRequest', 'you must specify at least one command for the container');
    if (!request.stdin && !request.stdout && !request.stderr) return refuseStatus(socket, 400, 'BadRequest', 'you must specify at least 1 of stdin, stdout, stderr');
    const session = await acceptRemoteCommand(req, socket, head, request, { streamCreationTimeoutMs: o.streamCreationTimeoutMs, idleTimeoutMs: o.idleTimeoutMs });
    if (!session) return;
    try {
      const client = kind === 'exec'
        ? await o.backend.exec(found.pod, found.container, request.command, request)
        : await o.backend.attach(found.pod, found.container, request);
      await bridgeRemoteCommand(session, client);
    } catch (err) {
      await session.finish({ error: `error ${kind === 'exec' ? 'executing command in' : 'attaching to'} container ${found.container}: ${errorMessage(err)}` });
    }
    return;
  }
  if (kind === 'portForward' && parts.length === 3) {
    const pod = o.backend.findPod(parts[1]!, parts[2]!);
    if (!pod) return refuseStatus(socket, 404, 'NotFound', notFound(parts[1]!, parts[2]!));
    await acceptPortForward(req, socket, head, (conn) => void forward(o, pod, conn.port, conn.stream, conn.fail), {
      idleTimeoutMs: o.idleTimeoutMs,
      pairTimeoutMs: o.streamCreationTimeoutMs,
    });
    return;
  }
  refuseStatus(socket, 404, 'NotFound', `no streaming endpoint at ${url.pathname}`);
}

async function forward(o: StreamingOptions, pod: Pod, port: number, stream: Duplex, fail: (message: string) => void): Promise<void> {
  let upstream: Duplex;
  try {
    upstream = await o.backend.portForward(pod, port);
  } catch (err) {
    fail(`error forwarding port ${port} to pod ${pod.metadata?.name}, uid ${pod.metadata?.uid}: ${errorMessage(err)}`);
    return;
  }
  // The client hears why before the splice takes its stream down with the failed connection.
  upstream.once('error', (err) => fail(`error forwarding port ${port}: ${err.message}`));
  // Half-close travels both ways, and a side that closes cleanly ends the other after what it
  // sent (a slow pod still gets the client's last bytes); a reset takes the other down at once.
  spliceSockets(stream, upstream);
}

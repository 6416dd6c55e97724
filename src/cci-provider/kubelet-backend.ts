// The kubelet API's backend over CCI: logs, exec, attach and port-forward go to the pod's
// CCI pod (named from the Kubernetes pod's uid), stats come from CCI's usage figures. The
// networking sidecar stays hidden, as in the pod's status.
import type { CciClient } from '../cci/client.ts';
import type { RemoteCommandOptions } from '../streams/remote-command.ts';
import { openWebSocketRemoteCommand } from '../streams/websocket-remote-command.ts';
import { isBadRequest, isNotFound } from '../kube/errors.ts';
import type { Pod } from '../kube/wire.ts';
import { BackendError, type KubeletBackend, type PodUsage } from '../provider/kubelet/backend.ts';
import { cciPodNameOf } from './naming.ts';
import { SIDECAR_CONTAINER_NAME } from '../network/sidecar-injection.ts';
import { errorMessage } from '../log/error-message.ts';

export interface PodSource {
  pods(): Pod[];
  findPod(namespace: string, name: string): Pod | undefined;
}

type CciStreams = Pick<CciClient, 'logs' | 'exec' | 'attach' | 'portForward' | 'stats'>;

/** CCI's 404 becomes the kubelet's 404; other CCI failures a 502 that names CCI. */
async function translated<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isNotFound(err)) throw new BackendError(404, `${what}: the pod has no CCI pod (not created yet, or gone)`);
    if (isBadRequest(err)) throw new BackendError(400, `${what}: ${errorMessage(err)}`);
    throw new BackendError(502, `${what}: CCI failed: ${errorMessage(err)}`);
  }
}

/** Only the four stream flags: callers may pass a whole parsed request (with its own container). */
function streamFlags(o: RemoteCommandOptions): RemoteCommandOptions {
  return { stdin: o.stdin, stdout: o.stdout, stderr: o.stderr, tty: o.tty };
}

export function cciKubeletBackend(cci: CciStreams, source: PodSource): KubeletBackend {
  return {
    pods: () => source.pods(),
    findPod: (namespace, name) => source.findPod(namespace, name),
    logs: (pod, container, o) =>
      translated('logs', () =>
        cci.logs(cciPodNameOf(pod), {
          container,
          follow: o.follow,
          previous: o.previous,
          timestamps: o.timestamps,
          ...(o.sinceSeconds !== undefined ? { sinceSeconds: o.sinceSeconds } : {}),
          ...(o.sinceTime !== undefined ? { sinceTime: o.sinceTime } : {}),
          ...(o.tailLines !== undefined ? { tailLines: o.tailLines } : {}),
          ...(o.limitBytes !== undefined ? { limitBytes: o.limitBytes } : {}),
        })),
    exec: (pod, container, command, o) =>
      translated('exec', () => openWebSocketRemoteCommand(cci.exec(cciPodNameOf(pod), { container, command, ...streamFlags(o) }), streamFlags(o))),
    attach: (pod, container, o) =>
      translated('attach', () => openWebSocketRemoteCommand(cci.attach(cciPodNameOf(pod), { container, ...streamFlags(o) }), streamFlags(o))),
    portForward: (pod, port) => translated('port-forward', () => cci.portForward(cciPodNameOf(pod), port)),
    async stats(): Promise<PodUsage[]> {
      const byCciName = new Map(source.pods().filter((p) => p.metadata?.uid).map((p) => [cciPodNameOf(p), p]));
      const usage = await translated('stats', () => cci.stats());
      const out: PodUsage[] = [];
      for (const s of usage) {
        const pod = byCciName.get(s.name);
        if (!pod) continue;
        out.push({
          namespace: pod.metadata!.namespace!,
          name: pod.metadata!.name!,
          uid: pod.metadata!.uid!,
          ...(s.startTime ? { startTime: s.startTime } : {}),
          containers: s.containers.filter((c) => c.name !== SIDECAR_CONTAINER_NAME),
        });
      }
      return out;
    },
  };
}

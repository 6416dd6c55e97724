// What the kubelet API needs from whatever runs the pods (the CCI provider, or a fake in tests).
import type { Duplex, Readable } from 'node:stream';
import type { RemoteCommandClient, RemoteCommandOptions } from '../../streams/remote-command.ts';
import type { Pod } from '../../kube/wire.ts';

export interface ContainerLogOptions {
  follow: boolean;
  previous: boolean;
  sinceSeconds?: number;
  sinceTime?: string;
  timestamps: boolean;
  tailLines?: number;
  limitBytes?: number;
}

export interface ContainerUsage {
  name: string;
  startTime?: string;
  /** Cumulative CPU time, nanoseconds. */
  usageCoreNanoSeconds: number;
  workingSetBytes: number;
}

export interface PodUsage {
  namespace: string;
  name: string;
  uid: string;
  startTime?: string;
  containers: ContainerUsage[];
}

export interface KubeletBackend {
  /** Pods bound to this node, as the API server has them. */
  pods(): Pod[];
  findPod(namespace: string, name: string): Pod | undefined;
  /** The container's log; the stream ends when the log does (or, following, when the container ends). */
  logs(pod: Pod, container: string, options: ContainerLogOptions): Promise<Readable>;
  exec(pod: Pod, container: string, command: readonly string[], options: RemoteCommandOptions): Promise<RemoteCommandClient>;
  attach(pod: Pod, container: string, options: RemoteCommandOptions): Promise<RemoteCommandClient>;
  /** One TCP connection to the pod's port; end() half-closes it. */
  portForward(pod: Pod, port: number): Promise<Duplex>;
  /** CPU and memory figures of the running pods. */
  stats(): Promise<PodUsage[]>;
}

/** A failure the backend wants the client to see with a given HTTP status (e.g. 404 for a gone pod). */
export class BackendError extends Error {
  override name = 'BackendError';
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

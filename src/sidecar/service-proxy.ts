// The two ways a sidecar takes a pod's connections to ClusterIP:port to an endpoint, as
// kube-proxy's modes: nftables (DNAT to the endpoint in the kernel: the direct path's speed)
// and userspace (listeners in the sidecar that dial an endpoint, trying the next one when a
// dial fails; no conntrack tool needed, a userspace hop each way).
import type { ForwardingEntry } from './rules.ts';

export interface ServiceProxy {
  /** Makes `table` the one in force; calls are coalesced, and the promise settles when it is. */
  apply(table: ReadonlyMap<string, ForwardingEntry>): Promise<void>;
  /** The last table applied is fully in force. */
  readonly ready: boolean;
  /** Service ports (ClusterIP:port/protocol) in force. */
  readonly servicePortCount: number;
  /** Removes everything the proxy installed. */
  close(): Promise<void>;
}

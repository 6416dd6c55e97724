// The service directory's wire format: what burstlet streams to every sidecar. Objects are
// trimmed to what a proxy needs (a Service's ClusterIPs, ports and affinity; an
// EndpointSlice's addresses, conditions and ports), so 10,000 sidecars hold small copies.

export type DirProtocol = 'TCP' | 'UDP';

export interface DirServicePort {
  /** '' for an unnamed port; EndpointSlice ports are matched by this name. */
  name: string;
  protocol: DirProtocol;
  port: number;
}

export interface DirService {
  namespace: string;
  name: string;
  /** Empty for headless and ExternalName Services: they get no proxy. */
  clusterIPs: string[];
  ports: DirServicePort[];
  /** ClientIP affinity timeout in seconds, or null when sessionAffinity is None. */
  affinitySeconds: number | null;
}

export interface DirEndpoint {
  address: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}

export interface DirSlice {
  namespace: string;
  name: string;
  serviceName: string;
  addressType: 'IPv4' | 'IPv6';
  endpoints: DirEndpoint[];
  ports: DirServicePort[];
}

export interface DirChange {
  kind: 'Service' | 'EndpointSlice';
  /** namespace/name */
  key: string;
  /** The object's new state, or null when it was deleted. */
  service?: DirService | null;
  slice?: DirSlice | null;
}

/** A full state; `epoch` changes whenever the server restarts (revisions restart with it). */
export interface SnapshotMessage {
  type: 'snapshot';
  epoch: string;
  revision: number;
  services: DirService[];
  slices: DirSlice[];
}

/** One change, applied on top of revision - 1. */
export interface DeltaMessage {
  type: 'delta';
  epoch: string;
  revision: number;
  change: DirChange;
}

export type DirectoryMessage = SnapshotMessage | DeltaMessage;

/** Headers of the WebSocket upgrade (the proof goes in Authorization, see directory-auth.ts). */
export const directoryHeaders = {
  podUid: 'x-burstlet-pod-uid',
  /** "<epoch>:<revision>" of the last state the sidecar holds, to resume from. */
  resumeFrom: 'x-burstlet-resume-from',
  clientNonce: 'x-burstlet-client-nonce',
  /** In the 101 response. */
  serverNonce: 'x-burstlet-server-nonce',
} as const;

export const DIRECTORY_PATH = '/burstlet/v1/service-directory';

export function objectKey(o: { namespace: string; name: string }): string {
  return `${o.namespace}/${o.name}`;
}

/** Parses a message from the server; throws on anything that is not one (a version skew or a bug). */
export function decodeDirectoryMessage(text: string): DirectoryMessage {
  const msg = JSON.parse(text) as Partial<DirectoryMessage>;
  if (typeof msg.epoch !== 'string' || typeof msg.revision !== 'number') throw new Error('directory message without epoch/revision');
  if (msg.type === 'snapshot') {
    const s = msg as Partial<SnapshotMessage>;
    if (!Array.isArray(s.services) || !Array.isArray(s.slices)) throw new Error('directory snapshot without services/slices');
    return msg as SnapshotMessage;
  }
  if (msg.type === 'delta') {
    const d = msg as Partial<DeltaMessage>;
    if (!d.change || (d.change.kind !== 'Service' && d.change.kind !== 'EndpointSlice')) throw new Error('directory delta without a change');
    return msg as DeltaMessage;
  }
  throw new Error(`unknown directory message type ${JSON.stringify(msg.type)}`);
}

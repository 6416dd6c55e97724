// The CCI 2.0 API as burstlet speaks it: the wire shapes shared by the real client, the
// translator and the mock backend. CCI 2.0 is Kubernetes-shaped (pods under
// /apis/cci/v2/namespaces/{ns}/pods, JSON watch events), but a CCI pod cannot read the
// cluster's ConfigMaps, Secrets or DNS settings: everything the pod needs travels inside it,
// resolved by the translator (env values, file contents, the exact resolv.conf).
import type { V1ContainerStatus, V1PodCondition, V1Probe, V1Lifecycle } from '@kubernetes/client-node';

export const CCI_API_PREFIX = '/apis/cci/v2';
export const CCI_AUTH_HEADER = 'x-auth-token';

/**
 * Labels burstlet puts on every CCI pod it creates: which cluster and which virtual node own it,
 * so that nodes (and clusters) sharing a CCI namespace each sweep only their own pods.
 */
export const ownerLabels = {
  cluster: 'burstlet.io/cluster',
  node: 'burstlet.io/node',
} as const;

/** Annotations burstlet writes on CCI pods (and, where it says so, on the Kubernetes pod). */
export const annotations = {
  /** The Kubernetes pod's namespace/name and uid: the idempotency key of creation. */
  podKey: 'burstlet.io/pod',
  podUID: 'burstlet.io/pod-uid',
  /** The CCI 2.0 flavor the pod was rounded to, e.g. "2" and "4Gi" (also on the Kubernetes pod). */
  flavorCPU: 'burstlet.io/flavor-cpu',
  flavorMemory: 'burstlet.io/flavor-memory',
} as const;

export interface CciObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface CciEnvVar {
  name: string;
  /** Kubernetes semantics: the backend expands $(VAR) in order; literal values arrive with $ doubled. */
  value: string;
  /** Only fields the backend alone knows (the pod's and host's IPs); value is then "". */
  valueFrom?: { fieldRef: { fieldPath: 'status.podIP' | 'status.podIPs' | 'status.hostIP' | 'status.hostIPs' } };
}

export interface CciVolumeMount {
  name: string;
  mountPath: string;
  subPath?: string;
  readOnly?: boolean;
}

export interface CciContainerPort {
  name?: string;
  containerPort: number;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
}

export interface CciResources {
  /** Quantities in Kubernetes notation ("500m", "1Gi"). */
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

export interface CciSecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
}

export interface CciContainer {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  /** Fully resolved: ConfigMap/Secret/downward API references are already values. */
  env?: CciEnvVar[];
  ports?: CciContainerPort[];
  resources?: CciResources;
  volumeMounts?: CciVolumeMount[];
  livenessProbe?: V1Probe;
  readinessProbe?: V1Probe;
  startupProbe?: V1Probe;
  lifecycle?: V1Lifecycle;
  securityContext?: CciSecurityContext;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  terminationMessagePath?: string;
}

/** One file of a files volume; data is base64 so that Secrets with binary content survive. */
export interface CciFile {
  path: string;
  data: string;
  mode?: number;
}

export interface CciVolume {
  name: string;
  emptyDir?: { medium?: '' | 'Memory'; sizeLimit?: string };
  /** configMap, secret, downwardAPI and projected volumes arrive as their files. */
  files?: { items: CciFile[]; defaultMode?: number };
  /** The one hostPath CCI honours: /etc/localtime. */
  hostPath?: { path: '/etc/localtime' };
}

/** The resolv.conf the pod must see, exactly (burstlet computes it as the kubelet would). */
export interface CciDNSConfig {
  nameservers: string[];
  searches: string[];
  options: { name: string; value?: string }[];
}

export interface CciPodSpec {
  containers: CciContainer[];
  initContainers?: CciContainer[];
  restartPolicy: 'Always' | 'OnFailure' | 'Never';
  terminationGracePeriodSeconds?: number;
  activeDeadlineSeconds?: number;
  hostname: string;
  subdomain?: string;
  /** The cluster domain, for the subdomain FQDN in /etc/hosts. */
  clusterDomain?: string;
  hostAliases?: { ip: string; hostnames: string[] }[];
  dnsConfig: CciDNSConfig;
  volumes?: CciVolume[];
  /** Registry credentials resolved from imagePullSecrets (.dockerconfigjson content, base64). */
  imagePullSecrets?: { name: string; dockerConfigJson: string }[];
  securityContext?: { runAsUser?: number; runAsGroup?: number; fsGroup?: number; supplementalGroups?: number[] };
}

export type CciPodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

/** Kubernetes-shaped status, so that status sync is a near-identity copy. */
export interface CciPodStatus {
  phase: CciPodPhase;
  reason?: string;
  message?: string;
  podIP?: string;
  hostIP?: string;
  startTime?: string;
  conditions?: V1PodCondition[];
  initContainerStatuses?: V1ContainerStatus[];
  containerStatuses?: V1ContainerStatus[];
}

export interface CciPod {
  apiVersion: 'cci/v2';
  kind: 'Pod';
  metadata: CciObjectMeta;
  spec: CciPodSpec;
  status?: CciPodStatus;
}

/**
 * What burstlet keeps of a CCI pod it watches: identity and status. The spec stays with CCI: it
 * carries the pod's files (ConfigMaps, Secrets, the service account token) inline, two thirds of
 * a pod's size, and nothing reads it after creation.
 */
export type CciPodState = Omit<CciPod, 'spec'>;

export function cciPodState(pod: CciPod): CciPodState {
  return { apiVersion: pod.apiVersion, kind: pod.kind, metadata: pod.metadata, ...(pod.status ? { status: pod.status } : {}) };
}

export interface CciPodList {
  apiVersion: 'cci/v2';
  kind: 'PodList';
  /** continue: there is more; list again with it (a chunked list, as Kubernetes'). */
  metadata: { resourceVersion: string; continue?: string };
  items: CciPod[];
}

/** One line of a watch stream (newline-delimited JSON), as in Kubernetes. */
export interface CciWatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: CciPod | CciStatus;
}

/** Errors, Kubernetes-style. */
export interface CciStatus {
  apiVersion: 'cci/v2';
  kind: 'Status';
  status: 'Success' | 'Failure';
  code: number;
  reason?: string;
  message?: string;
  /** Which object the error is about (e.g. the existing pod of a 409 AlreadyExists). */
  details?: { name?: string; kind?: string; uid?: string };
}

/**
 * The annotation by which a CCI pod chooses its namespace's Network (subnet); without it the pod
 * gets the default Network. burstlet reads the same key on Kubernetes pods and namespaces.
 */
export const CCI_NETWORK_ANNOTATION = 'cci.io/network';

/** A namespace's network: a VPC subnet its pods take IPs from. */
export interface CciNetwork {
  apiVersion: 'cci/v2';
  kind: 'Network';
  metadata: CciObjectMeta;
  /** sharedVpc: the subnet belongs to a VPC shared from another account (CCE: no burst networking there). */
  spec: { cidr: string; gateway: string; sharedVpc?: boolean };
  /** phase: Active (default) or Unavailable (its AZ or subnet failed: pods get no IP there). */
  status: { totalIPs: number; usedIPs: number; freeIPs: number; phase?: 'Active' | 'Unavailable' };
}

export interface CciNetworkList {
  apiVersion: 'cci/v2';
  kind: 'NetworkList';
  items: CciNetwork[];
}

/** A namespace's quota; quantities in Kubernetes notation. */
export interface CciQuota {
  apiVersion: 'cci/v2';
  kind: 'ResourceQuota';
  metadata: CciObjectMeta;
  status: { hard: Record<string, string>; used: Record<string, string> };
}

/** Live usage, for the kubelet's /stats/summary and /metrics/resource. */
export interface CciPodStats {
  name: string;
  namespace: string;
  startTime?: string;
  containers: {
    name: string;
    startTime?: string;
    /** Cumulative CPU time in nanoseconds. */
    usageCoreNanoSeconds: number;
    workingSetBytes: number;
  }[];
}

/**
 * Paths, relative to CCI_API_PREFIX. Streaming endpoints are WebSockets:
 * exec/attach speak v5.channel.k8s.io (and v4), the query as in Kubernetes
 * (container, command repeated, stdin/stdout/stderr/tty = true|1);
 * portforward?port=N carries one TCP connection as binary messages.
 */
export const cciPaths = {
  pods: (ns: string) => `${CCI_API_PREFIX}/namespaces/${ns}/pods`,
  pod: (ns: string, name: string) => `${CCI_API_PREFIX}/namespaces/${ns}/pods/${name}`,
  podLog: (ns: string, name: string) => `${CCI_API_PREFIX}/namespaces/${ns}/pods/${name}/log`,
  podExec: (ns: string, name: string) => `${CCI_API_PREFIX}/namespaces/${ns}/pods/${name}/exec`,
  podAttach: (ns: string, name: string) => `${CCI_API_PREFIX}/namespaces/${ns}/pods/${name}/attach`,
  podPortForward: (ns: string, name: string) => `${CCI_API_PREFIX}/namespaces/${ns}/pods/${name}/portforward`,
  podStats: (ns: string) => `${CCI_API_PREFIX}/namespaces/${ns}/stats`,
  network: (ns: string) => `${CCI_API_PREFIX}/namespaces/${ns}/network`,
  networks: (ns: string) => `${CCI_API_PREFIX}/namespaces/${ns}/networks`,
  quota: (ns: string) => `${CCI_API_PREFIX}/namespaces/${ns}/quota`,
} as const;

// What --enable-networking adds to a burst pod, as pure functions: the `burstlet-network`
// container the translator puts first in the CCI pod (never in the Kubernetes pod's spec),
// and the events that tell users what the sidecar cannot do for their pod.
import type { CciContainer } from '../cci/types.ts';

export const SIDECAR_CONTAINER_NAME = 'burstlet-network';
export const SIDECAR_HEALTH_PORT = 15020;
/** Env vars the sidecar reads its secrets from (so they never appear in its command line). */
export const SIDECAR_CREDENTIAL_ENV = 'BURSTLET_SIDECAR_CREDENTIAL';
export const SIDECAR_CA_ENV = 'BURSTLET_SIDECAR_CA';

/** How a sidecar takes Service traffic to endpoints (`burstlet sidecar --proxy-mode`, src/sidecar/service-proxy.ts). */
export const PROXY_MODES = ['nftables', 'userspace'] as const;
export type ProxyMode = (typeof PROXY_MODES)[number];
export const DEFAULT_PROXY_MODE: ProxyMode = 'nftables';

export interface SidecarParams {
  image: string;
  proxyMode: ProxyMode;
  /** wss:// URL of the service directory served by burstlet node. */
  directoryUrl: string;
  /** namespace/name of the Service whose endpoints are burstlet's replicas (--service-directory-service), if any. */
  directoryService?: string;
  podUid: string;
  /** podCredential(nodeSecret, podUid). */
  credential: string;
  /** PEM of the CA behind the directory's certificate, when it is not publicly trusted. */
  caPem?: string;
}

export function sidecarContainer(p: SidecarParams): CciContainer {
  const env = [{ name: SIDECAR_CREDENTIAL_ENV, value: p.credential }];
  if (p.caPem) env.push({ name: SIDECAR_CA_ENV, value: p.caPem });
  return {
    name: SIDECAR_CONTAINER_NAME,
    image: p.image,
    command: ['burstlet', 'sidecar'],
    args: [`--directory-url=${p.directoryUrl}`, `--pod-uid=${p.podUid}`, `--health-port=${SIDECAR_HEALTH_PORT}`, `--proxy-mode=${p.proxyMode}`,
      ...(p.directoryService ? [`--directory-service=${p.directoryService}`] : [])],
    env,
    ports: [{ name: 'bl-net-health', containerPort: SIDECAR_HEALTH_PORT, protocol: 'TCP' }],
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '250m', memory: '128Mi' } },
    // Containers start in order, each after the previous one's postStart hook: the app
    // containers (after this one) start only once Services and cluster DNS work.
    lifecycle: {
      postStart: { exec: { command: ['burstlet', 'sidecar', '--wait-ready=25s', `--health-port=${SIDECAR_HEALTH_PORT}`] } },
    },
    readinessProbe: {
      httpGet: { path: '/healthz', port: SIDECAR_HEALTH_PORT },
      periodSeconds: 2,
      timeoutSeconds: 1,
      failureThreshold: 3,
    },
    // The nftables rules, conntrack deletions and (userspace mode) ClusterIPs on the pod's
    // loopback need NET_ADMIN in the pod's own network namespace.
    securityContext: { runAsUser: 0, capabilities: { add: ['NET_ADMIN'] } },
  };
}

export interface NetworkingEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** The parts of a pod (V1Pod or its wire JSON) the networking decisions read. */
export interface PodShape {
  spec?: { initContainers?: { name: string }[]; containers?: { name: string; lifecycle?: { postStart?: unknown } }[] };
}

/** The documented limitations that apply to this pod, as events to post on it. */
export function networkingEvents(pod: PodShape): NetworkingEvent[] {
  const events: NetworkingEvent[] = [];
  const inits = (pod.spec?.initContainers ?? []).map((c) => c.name);
  if (inits.length > 0) {
    events.push({
      type: 'Warning',
      reason: 'NetworkUnavailableToInitContainers',
      message: `network is not available to init containers (${inits.join(', ')}): on a burst node ClusterIP Services and cluster DNS ` +
        'are served by the burstlet-network sidecar, which starts with the app containers; move Service calls to an app container',
    });
  }
  const hooked = (pod.spec?.containers ?? []).filter((c) => c.lifecycle?.postStart).map((c) => c.name);
  if (hooked.length > 0) {
    events.push({
      type: 'Warning',
      reason: 'PostStartHookBeforeNetwork',
      message: `postStart hooks of ${hooked.join(', ')} may run before the burstlet-network sidecar is ready: a hook that blocks on ` +
        'a ClusterIP Service or cluster DNS can hold the pod in ContainerCreating until it times out',
    });
  }
  return events;
}

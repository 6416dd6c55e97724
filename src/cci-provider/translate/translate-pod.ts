// Kubernetes pod → CCI pod, pure: every reference the pod makes (ConfigMaps, Secrets, the
// downward API, Services, the ServiceAccount token, DNS) is resolved here, because a CCI pod
// cannot read the cluster. What cannot run on CCI is refused with a status reason and a
// message that says what to do.
import type { V1ConfigMap, V1Pod, V1Secret, V1Service } from '@kubernetes/client-node';
import { annotations as cciAnnotations, type CciContainer, type CciDNSConfig, type CciPod, type CciPodSpec } from '../../cci/types.ts';
import { computePodDNS, type NameserverOverflow } from '../../network/dns/pod-dns.ts';
import { cciPodName } from '../naming.ts';
import { translateContainer } from './container.ts';
import { TranslateError, type PodEvent, type TranslateContext } from './context.ts';
import { podSize, roundToFlavor, type Flavor, type FlavorResult, type Sized } from '../../cci/flavor.ts';
import { pullSecrets } from './pull-secrets.ts';
import { refuseWhatCannotBurst } from './refusals.ts';
import { serviceLinkEnv } from './service-links.ts';
import { translateVolumes } from './volumes.ts';

export type { PodEvent } from './context.ts';

export interface TranslateInput {
  pod: V1Pod;
  node: {
    name: string;
    clusterDomain: string;
    clusterDNS: readonly string[];
    /** The parsed --resolv-conf, or null for none (see computePodDNS). */
    hostResolvConf: CciDNSConfig | null;
    overflow: NameserverOverflow;
  };
  lookups: {
    /** The pod namespace's ConfigMaps and Secrets, by name (absent = not found). */
    configMaps: ReadonlyMap<string, V1ConfigMap>;
    secrets: ReadonlyMap<string, V1Secret>;
    /** Services of the pod's namespace and of `default` (for the `kubernetes` service). */
    services: readonly V1Service[];
    /** The token for projected serviceAccountToken sources, obtained by the caller (TokenRequest). */
    serviceAccountToken?: string;
  };
  /** The network sidecar to run first in the pod; counted in the flavor only if it states resources. */
  sidecar?: CciContainer;
}

export type TranslateResult =
  | { ok: true; pod: CciPod; events: PodEvent[]; annotations: Record<string, string> }
  | { ok: false; reason: string; message: string; retryable: boolean; events: PodEvent[] };

export const FLAVOR_TOO_LARGE = 'FlavorTooLarge';

/**
 * The kubelet's hostname: spec.hostname, else the pod name cut to 63 characters without a
 * trailing - or .; a CCI pod's hostname must be a DNS label, so the dots a pod name may have
 * (web.v1, valid in Kubernetes) become dashes (web-v1), where the kubelet would keep them.
 */
export function podHostname(pod: V1Pod): string {
  if (pod.spec?.hostname) return pod.spec.hostname;
  return (pod.metadata?.name ?? '').slice(0, 63).replace(/[-.]+$/, '').replace(/\./g, '-');
}

export const RESERVED_CONTAINER_NAME = 'ReservedContainerName';

/** The decisions that need nothing from the cluster: what cannot burst, the flavor and the resolv.conf. */
export interface PodPlan {
  /** The containers the flavor counts, in order: the sidecar when it states resources, then the app containers. */
  sized: readonly Sized[];
  /** The pod's size before rounding: max(sum of `sized`, largest init container). */
  size: Flavor;
  flavor: Extract<FlavorResult, { ok: true }>;
  dns: CciDNSConfig;
}

/** Throws TranslateError for a pod that cannot burst; pushes the events the decisions imply. */
function plan(input: Pick<TranslateInput, 'pod' | 'node' | 'sidecar'>, events: PodEvent[]): PodPlan {
  const { pod, node, sidecar } = input;
  refuseWhatCannotBurst(pod);
  const spec = pod.spec ?? { containers: [] };
  const clash = sidecar && [...(spec.initContainers ?? []), ...spec.containers].find((c) => c.name === sidecar.name);
  if (clash) {
    throw new TranslateError(RESERVED_CONTAINER_NAME,
      `container name ${JSON.stringify(clash.name)} is the networking sidecar's, which burstlet adds to every burst pod; rename the container`);
  }

  const sized = sidecar?.resources?.limits || sidecar?.resources?.requests ? [sidecar, ...spec.containers] : spec.containers;
  const size = podSize(sized, spec.initContainers ?? []);
  const flavor = roundToFlavor(size);
  if (!flavor.ok) throw new TranslateError(FLAVOR_TOO_LARGE, flavor.message);

  const dns = computePodDNS({ pod, clusterDNS: node.clusterDNS, clusterDomain: node.clusterDomain, hostResolvConf: node.hostResolvConf, overflow: node.overflow });
  events.push(...dns.events);
  if (!dns.ok) throw new TranslateError(dns.reason, dns.message);
  return { sized, size, flavor, dns: dns.config };
}

function build(input: TranslateInput, events: PodEvent[]): { pod: CciPod; annotations: Record<string, string> } {
  const { pod, node, lookups, sidecar } = input;
  const spec = pod.spec ?? { containers: [] };
  const { flavor, dns } = plan(input, events);

  const ctx: TranslateContext = {
    pod,
    nodeName: node.name,
    configMaps: lookups.configMaps,
    secrets: lookups.secrets,
    serviceAccountToken: lookups.serviceAccountToken,
    flavor: flavor.flavor,
    events,
  };
  const serviceEnv = serviceLinkEnv(pod, lookups.services);
  const volumes = translateVolumes(ctx);
  const initContainers = (spec.initContainers ?? []).map((c) => translateContainer(ctx, c, serviceEnv));
  const containers = spec.containers.map((c) => translateContainer(ctx, c, serviceEnv));

  const flavorAnnotations = { [cciAnnotations.flavorCPU]: flavor.cpu, [cciAnnotations.flavorMemory]: flavor.memory };
  const namespace = pod.metadata?.namespace ?? 'default';
  const name = pod.metadata?.name ?? '';
  const cciSpec: CciPodSpec = {
    containers: sidecar ? [sidecar, ...containers] : containers,
    restartPolicy: spec.restartPolicy === 'OnFailure' || spec.restartPolicy === 'Never' ? spec.restartPolicy : 'Always',
    hostname: podHostname(pod),
    dnsConfig: dns,
  };
  if (initContainers.length > 0) cciSpec.initContainers = initContainers;
  if (spec.terminationGracePeriodSeconds !== undefined) cciSpec.terminationGracePeriodSeconds = spec.terminationGracePeriodSeconds;
  if (spec.activeDeadlineSeconds !== undefined) cciSpec.activeDeadlineSeconds = spec.activeDeadlineSeconds;
  if (spec.subdomain) {
    cciSpec.subdomain = spec.subdomain;
    cciSpec.clusterDomain = node.clusterDomain;
  }
  if (spec.hostAliases?.length) cciSpec.hostAliases = spec.hostAliases.map((a) => ({ ip: a.ip, hostnames: [...(a.hostnames ?? [])] }));
  if (volumes.length > 0) cciSpec.volumes = volumes;
  const pullSecretList = pullSecrets(ctx);
  if (pullSecretList) cciSpec.imagePullSecrets = pullSecretList;
  const psc = spec.securityContext;
  const podSecurity = Object.fromEntries(
    Object.entries({ runAsUser: psc?.runAsUser, runAsGroup: psc?.runAsGroup, fsGroup: psc?.fsGroup, supplementalGroups: psc?.supplementalGroups })
      .filter(([, v]) => v !== undefined),
  );
  if (Object.keys(podSecurity).length > 0) cciSpec.securityContext = podSecurity;

  return {
    pod: {
      apiVersion: 'cci/v2',
      kind: 'Pod',
      metadata: {
        name: cciPodName(namespace, name, pod.metadata?.uid ?? ''),
        labels: { ...pod.metadata?.labels },
        annotations: {
          ...pod.metadata?.annotations,
          [cciAnnotations.podKey]: `${namespace}/${name}`,
          [cciAnnotations.podUID]: pod.metadata?.uid ?? '',
          ...flavorAnnotations,
        },
      },
      spec: cciSpec,
    },
    annotations: flavorAnnotations,
  };
}

type Failure = Extract<TranslateResult, { ok: false }>;

/** A TranslateError as a result, with the event the kubelet would post for it. */
function failure(err: unknown, events: PodEvent[]): Failure {
  if (!(err instanceof TranslateError)) throw err;
  // The kubelet reports config errors as "Failed"/"Error: …"; refusals carry their own reason.
  events.push(err.retryable
    ? { type: 'Warning', reason: 'Failed', message: `Error: ${err.message}`, object: 'pod' }
    : { type: 'Warning', reason: err.reason, message: err.message, object: 'pod' });
  return { ok: false, reason: err.reason, message: err.message, retryable: err.retryable, events };
}

export function translatePod(input: TranslateInput): TranslateResult {
  const events: PodEvent[] = [];
  try {
    return { ok: true, ...build(input, events), events };
  } catch (err) {
    return failure(err, events);
  }
}

/** The part of translatePod that needs no lookups (for `burstlet check`): refusals, flavor, resolv.conf. */
export function planPod(input: Pick<TranslateInput, 'pod' | 'node' | 'sidecar'>): ({ ok: true; plan: PodPlan; events: PodEvent[] }) | Failure {
  const events: PodEvent[] = [];
  try {
    return { ok: true, plan: plan(input, events), events };
  } catch (err) {
    return failure(err, events);
  }
}

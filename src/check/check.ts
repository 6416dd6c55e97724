// `burstlet check`, the pure core: for every pod a set of manifests would create, whether it
// can burst, the CCI flavor and resolv.conf it would get, and the CCE constraints it meets.
// The verdicts are the translator's own (planPod, translatePod), run on the pod the
// workload's controller would create, so check and burstlet node never disagree.
import { errorMessage } from '../log/error-message.ts';
import type { V1ConfigMap, V1Pod } from '@kubernetes/client-node';
import { renderResolvConf } from '../cci/resolv-conf.ts';
import { DEFAULT_SIDECAR_IMAGE } from '../network/flags.ts';
import { DEFAULT_PROXY_MODE, networkingEvents, sidecarContainer } from '../network/sidecar-injection.ts';
import { nodeLabels } from '../provider/node/node-object.ts';
import { CCI_NODE_BACKEND } from '../cci-provider/node.ts';
import { sizeSource, type Sized, type SizeSource } from '../cci/flavor.ts';
import { formatCpu, formatMemory } from '../kube/quantity.ts';
import { planPod, translatePod, type PodPlan, type TranslateInput } from '../cci-provider/translate/translate-pod.ts';
import { defaultVirtualNode, placementFindings, podFindings, serviceFindings, type Finding } from './findings.ts';
import type { ManifestSet, PodSource } from './manifests.ts';

export interface CheckOptions {
  /** The node settings the translator uses (DNS flags), as `burstlet node` would have them. */
  node: TranslateInput['node'];
  /** Whether the node runs with --enable-networking (the sidecar counts in the flavor). */
  networking: boolean;
}

export interface ContainerSize {
  name: string;
  init: boolean;
  cpu: string;
  cpuFrom: SizeSource;
  memory: string;
  memoryFrom: SizeSource;
}

export interface FlavorReport {
  cpu: string;
  memory: string;
  /** The pod's size before rounding up to a flavor. */
  podCpu: string;
  podMemory: string;
  containers: ContainerSize[];
  why: string;
}

export interface PodEventReport {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface TemplateReport extends PodSource {
  canBurst: boolean;
  /** Why it cannot burst (the reason and message the pod's status would carry). */
  refusal?: { reason: string; message: string };
  flavor?: FlavorReport;
  resolvConf?: string;
  /** The events burstlet node would post on the pod. */
  events: PodEventReport[];
  findings: Finding[];
}

export interface ServiceReport {
  namespace: string;
  name: string;
  file: string;
  document: number;
  findings: Finding[];
}

export interface CheckReport {
  ok: boolean;
  templates: TemplateReport[];
  services: ServiceReport[];
  /** Objects that create no pods and are not read by them (RBAC, Namespaces, …). */
  ignored: { kind: string; name: string; file: string; document: number }[];
}

function explainFlavor(plan: PodPlan, pod: V1Pod): FlavorReport {
  const size = (c: Sized & { name: string }, init: boolean): ContainerSize => {
    const cpu = sizeSource(c, 'cpu');
    const memory = sizeSource(c, 'memory');
    return { name: c.name, init, cpu: cpu.quantity, cpuFrom: cpu.from, memory: memory.quantity, memoryFrom: memory.from };
  };
  const apps = (plan.sized as (Sized & { name: string })[]).map((c) => size(c, false));
  const inits = (pod.spec?.initContainers ?? []).map((c) => size(c, true));
  const describe = (c: ContainerSize): string =>
    `${c.name} ${c.cpu} CPU (${c.cpuFrom}) / ${c.memory} (${c.memoryFrom})`;
  const podCpu = formatCpu(plan.size.cpuMilli);
  const podMemory = formatMemory(plan.size.memoryBytes);
  const parts = [`the sum of its containers: ${apps.map(describe).join(', ')}`];
  if (inits.length > 0) parts.push(`or its largest init container where bigger (${inits.map(describe).join(', ')})`);
  const why = `the pod needs ${podCpu} CPU / ${podMemory}, ${parts.join(' ')}; ` +
    `${plan.flavor.cpu} CPU / ${plan.flavor.memory} is the smallest CCI 2.0 flavor that holds it`;
  return { cpu: plan.flavor.cpu, memory: plan.flavor.memory, podCpu, podMemory, containers: [...apps, ...inits], why };
}

/** The ConfigMap the cluster publishes in every namespace (kube-controller-manager's root-ca-cert-publisher). */
const ROOT_CA = 'kube-root-ca.crt';

function withClusterConfigMaps(fromFiles: ReadonlyMap<string, V1ConfigMap> | undefined): Map<string, V1ConfigMap> {
  const out = new Map(fromFiles);
  if (!out.has(ROOT_CA)) out.set(ROOT_CA, { metadata: { name: ROOT_CA }, data: { 'ca.crt': '' } });
  return out;
}

const asEvent = (e: PodEventReport): PodEventReport => ({ type: e.type, reason: e.reason, message: e.message });

function checkTemplate(set: ManifestSet, source: PodSource, pod: V1Pod, options: CheckOptions): TemplateReport {
  const ns = source.namespace;
  const services = set.services.map((s) => s.service).filter((s) => (s.metadata?.namespace ?? 'default') === ns);
  const findings = podFindings(pod, {
    services: new Set(services.map((s) => s.metadata?.name ?? '')),
    clusterDomain: options.node.clusterDomain,
    networking: options.networking,
  });
  // Placeholder credentials: the sidecar's definition (and so its resources) is the real one.
  const sidecar = options.networking
    ? sidecarContainer({ image: DEFAULT_SIDECAR_IMAGE, proxyMode: DEFAULT_PROXY_MODE, directoryUrl: 'ws://burstlet-check.invalid', podUid: 'burstlet-check', credential: 'burstlet-check' })
    : undefined;
  const input = { pod, node: options.node, ...(sidecar ? { sidecar } : {}) };
  const planned = planPod(input);
  if (!planned.ok) return { ...source, canBurst: false, refusal: { reason: planned.reason, message: planned.message }, events: [], findings };

  const report: TemplateReport = {
    ...source,
    canBurst: true,
    flavor: explainFlavor(planned.plan, pod),
    resolvConf: renderResolvConf(planned.plan.dns),
    events: planned.events.filter((e) => e.object === 'pod').map(asEvent),
    findings,
  };
  const full = translatePod({
    ...input,
    lookups: {
      configMaps: withClusterConfigMaps(set.configMaps.get(ns)),
      secrets: set.secrets.get(ns) ?? new Map(),
      // The pod's namespace's Services, and `default`'s for the `kubernetes` Service, as burstlet node passes them.
      services: set.services.map((s) => s.service).filter((s) => [ns, 'default'].includes(s.metadata?.namespace ?? 'default')),
      serviceAccountToken: 'burstlet-check',
    },
  });
  if (!full.ok && !full.retryable) return { ...report, canBurst: false, refusal: { reason: full.reason, message: full.message }, flavor: undefined, resolvConf: undefined };
  if (!full.ok) {
    findings.push({
      severity: 'info', reason: 'WaitsForObject',
      message: `${full.message} among the checked manifests: the pod waits (CreateContainerConfigError) until it exists in namespace ${ns}; ` +
        'what the pod reads after it was not checked',
    });
  } else {
    report.events = full.events.filter((e) => e.object === 'pod').map(asEvent);
  }
  if (options.networking) report.events.push(...networkingEvents(pod));
  if (report.canBurst) {
    const labels = nodeLabels({ name: options.node.name, labels: {}, zone: '', taints: [], nodeIP: '', hostname: '', kubeletPort: 0, backend: CCI_NODE_BACKEND });
    findings.push(...placementFindings(pod, defaultVirtualNode(options.node.name, labels)));
  }
  return report;
}

export function checkManifests(set: ManifestSet, options: CheckOptions): CheckReport {
  const templates = set.candidates.map(({ source, pod }) => {
    if ('invalid' in pod) {
      return { ...source, canBurst: false, refusal: { reason: 'InvalidManifest', message: `the ${source.kind} ${pod.invalid}` }, events: [], findings: [] };
    }
    try {
      return checkTemplate(set, source, pod, options);
    } catch (err) {
      // A manifest the API server would reject (a number where a string belongs, …) must not crash check.
      return { ...source, canBurst: false, refusal: { reason: 'InvalidManifest', message: `the ${source.kind} could not be read: ${errorMessage(err)}` }, events: [], findings: [] };
    }
  });
  const services = set.services.map(({ service, file, document }) => ({
    namespace: service.metadata?.namespace ?? 'default',
    name: service.metadata?.name ?? '',
    file,
    document,
    findings: serviceFindings(service),
  }));
  const ok = templates.every((t) => t.canBurst) && services.every((s) => s.findings.every((f) => f.severity !== 'error'));
  return { ok, templates, services, ignored: set.other };
}

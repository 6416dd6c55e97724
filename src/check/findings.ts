// What `burstlet check` says about one manifest besides the translator's verdict: the CCE
// constraints a pod template or a Service meets that are not refusals (CCE's bursting add-on
// documents them; burstlet's translator refuses what can never run).
import type { V1Container, V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import { requiredAffinityMatches, toleratedBy } from '../scheduling/affinity.ts';
import { DEFAULT_TAINT } from '../cci-provider/node.ts';
import { serviceCalls, type CallContext } from './service-calls.ts';

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  severity: Severity;
  /** CamelCase, as event reasons. */
  reason: string;
  message: string;
  /** Set when the finding comes from a guess about what a command does. */
  heuristic?: true;
}

/** CCE's annotation that pins a flavor; burstlet sizes from the containers instead. */
export const FLAVOR_PIN_ANNOTATION = 'resource.cci.io/pod-size-specs';

const HEURISTIC_NOTE = '(a heuristic reading of the command line; ignore it if the name is not a Service)';

function commandOf(c: V1Container): string[] {
  return [...(c.command ?? []), ...(c.args ?? [])];
}

function serviceCallFindings(pod: V1Pod, ctx: CallContext, networking: boolean): Finding[] {
  const out: Finding[] = [];
  const spec = pod.spec!;
  for (const c of spec.initContainers ?? []) {
    const calls = serviceCalls(commandOf(c), ctx);
    if (calls.length === 0) continue;
    out.push({
      severity: 'warning', reason: 'InitContainerCallsService', heuristic: true,
      message: `init container ${JSON.stringify(c.name)} seems to call a Service (${calls.join(', ')}) ${HEURISTIC_NOTE}: ` +
        'init containers of a burst pod have no ClusterIP Services or cluster DNS (CCE: "not supported for init containers"), ' +
        'so it would wait or fail and hold the pod in Init; make the call from an app container, or keep this workload off the virtual node',
    });
  }
  for (const c of spec.containers) {
    const hook = c.lifecycle?.postStart;
    const hookCalls = hook?.exec ? serviceCalls(hook.exec.command ?? [], ctx) : [];
    if (hookCalls.length > 0) {
      out.push({
        severity: 'warning', reason: 'PostStartHookCallsService', heuristic: true,
        message: `the postStart hook of ${JSON.stringify(c.name)} seems to call a Service (${hookCalls.join(', ')}) ${HEURISTIC_NOTE}: ` +
          'a hook that blocks on a Service holds the containers after it (CCE: "network communication will be abnormal"); ' +
          'move the call into the container\'s own command',
      });
    } else if (hook) {
      out.push({
        severity: 'info', reason: 'PostStartHookBlocks',
        message: `the postStart hook of ${JSON.stringify(c.name)} holds the start of the containers after it until it returns; ` +
          'keep it short and independent of Services',
      });
    }
    const calls = serviceCalls(commandOf(c), ctx);
    if (!networking && calls.length > 0) {
      out.push({
        severity: 'warning', reason: 'NoServiceAccess', heuristic: true,
        message: `container ${JSON.stringify(c.name)} seems to call a Service (${calls.join(', ')}) ${HEURISTIC_NOTE}, ` +
          'but without --enable-networking burst pods cannot reach ClusterIP Services or cluster DNS; run burstlet node with --enable-networking',
      });
    }
  }
  return out;
}

function containerFindings(pod: V1Pod): Finding[] {
  const out: Finding[] = [];
  for (const c of [...(pod.spec!.initContainers ?? []), ...pod.spec!.containers]) {
    for (const p of c.ports ?? []) {
      if (p.hostPort === undefined || p.hostPort === 0) continue;
      out.push({
        severity: 'warning', reason: 'HostPortIgnored',
        message: `container ${JSON.stringify(c.name)} asks for hostPort ${p.hostPort}, which a CCI pod does not have (it has no host); ` +
          'burstlet passes only the containerPort: reach the pod through a Service',
      });
    }
    if (c.startupProbe?.tcpSocket) {
      out.push({
        severity: 'info', reason: 'TCPStartupProbe',
        message: `container ${JSON.stringify(c.name)} has a TCP startupProbe: CCE's bursting add-on refuses these; burstlet runs it as the kubelet does`,
      });
    }
  }
  return out;
}

/** Why the scheduler would not place the pod on the virtual node, if it would not. */
export function placementFindings(pod: V1Pod, virtualNode: V1Node): Finding[] {
  const taint = virtualNode.spec!.taints![0]!;
  const reasons: string[] = [];
  if (!toleratedBy(pod.spec!.tolerations ?? [], taint)) {
    reasons.push(`it does not tolerate the taint ${taint.key}=${taint.value}:${taint.effect} (add tolerations: [{key: ${taint.key}, operator: Exists}])`);
  }
  if (!requiredAffinityMatches(pod, virtualNode)) reasons.push(`its nodeSelector or required node affinity excludes the virtual node ${virtualNode.metadata!.name}`);
  if (reasons.length === 0) return [];
  return [{
    severity: 'info', reason: 'NotScheduledOnVirtualNode',
    message: `as written, the scheduler never places this pod on the virtual node: ${reasons.join('; ')}. ` +
      'CCE\'s add-on adds the toleration for pods labelled bursting.cci.io/burst-to-cci; burstlet does not',
  }];
}

export interface PodFindingContext extends CallContext {
  networking: boolean;
}

/** The CCE constraints a pod (made from a template) meets beyond the translator's refusals. */
export function podFindings(pod: V1Pod, ctx: PodFindingContext): Finding[] {
  const out = [...serviceCallFindings(pod, ctx, ctx.networking), ...containerFindings(pod)];
  const pin = pod.metadata?.annotations?.[FLAVOR_PIN_ANNOTATION];
  if (pin !== undefined) {
    out.push({
      severity: 'warning', reason: 'FlavorPinIgnored',
      message: `the annotation ${FLAVOR_PIN_ANNOTATION}=${JSON.stringify(pin)} pins a flavor on CCE's add-on; burstlet sizes the pod from its containers ` +
        '(see the flavor above): set the containers\' requests/limits to the size you want',
    });
  }
  return out;
}

/** The virtual node as `burstlet node` registers it by default, for placement checks. */
export function defaultVirtualNode(name: string, labels: Record<string, string>): V1Node {
  return { metadata: { name, labels }, spec: { taints: [{ key: DEFAULT_TAINT.key, value: DEFAULT_TAINT.value, effect: DEFAULT_TAINT.effect }] } };
}

const HEALTH_CHECK_ANNOTATIONS = ['kubernetes.io/elb.health-check-option', 'kubernetes.io/elb.health-check-options'];

function monitorPorts(raw: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return [];
  }
  const entries = Array.isArray(parsed) ? parsed : [parsed];
  return entries
    .map((e) => (typeof e === 'object' && e !== null ? (e as Record<string, unknown>).monitor_port : undefined))
    .filter((p) => p !== undefined && p !== '')
    .map(String);
}

/** CCE's rules for Services in front of burst pods. */
export function serviceFindings(service: V1Service): Finding[] {
  const out: Finding[] = [];
  if (service.spec?.type !== 'LoadBalancer') return out;
  for (const annotation of HEALTH_CHECK_ANNOTATIONS) {
    const raw = service.metadata?.annotations?.[annotation];
    const ports = raw === undefined ? [] : monitorPorts(raw);
    if (ports.length === 0) continue;
    out.push({
      severity: 'error', reason: 'LoadBalancerHealthCheckPort',
      message: `${annotation} sets a custom health-check port (monitor_port ${ports.join(', ')}); CCI pods register other backend ports with ELB ` +
        'than cluster pods do, so the health checks of burst pods fail (CCE: "Do not specify the health check port"): remove monitor_port',
    });
  }
  out.push({
    severity: 'info', reason: 'LoadBalancerSecurityGroup',
    message: 'allow traffic from 100.125.0.0/16 to the container ports in the node security group, as CCE asks for LoadBalancer Services shared by cluster and CCI pods',
  });
  return out;
}

// What the mock CCI refuses at creation, as CCI would: invalid pods (422 Invalid), among them
// pods no flavor holds or whose recorded flavor is not the one CCI sizes them to, and pods
// that do not fit the namespace's quota (403 Forbidden). Pure functions.
import { isIP } from 'node:net';
import { cpuMillis, formatCpu, formatMemory, memoryBytes, parseQuantity, QuantityError } from '../kube/quantity.ts';
import { descendingPathProblems, fileModeProblem, nonReservedPathProblems, volumeNameProblem } from '../kube/volume-rules.ts';
import { annotations, type CciContainer, type CciPod, type CciVolume } from '../cci/types.ts';
import { cciFlavor, cciPodSize, type Size } from './flavors.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Field errors in Kubernetes' wording; empty when the pod is valid. */
export function validatePod(pod: CciPod): string[] {
  const errs: string[] = [];
  const name = pod.metadata?.name;
  if (!name) errs.push('metadata.name: Required value: name or generateName is required');
  else if (name.length > 63 || !DNS_SUBDOMAIN.test(name)) errs.push(`metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain of at most 63 characters`);
  const spec = pod.spec;
  if (!spec) return [...errs, 'spec: Required value'];
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) errs.push('spec.containers: Required value');
  if (!['Always', 'OnFailure', 'Never'].includes(spec.restartPolicy)) {
    errs.push(`spec.restartPolicy: Unsupported value: "${spec.restartPolicy}": supported values: "Always", "OnFailure", "Never"`);
  }
  if (!spec.hostname || spec.hostname.length > 63 || !DNS_LABEL.test(spec.hostname)) errs.push(`spec.hostname: Invalid value: "${spec.hostname ?? ''}": a lowercase RFC 1123 label`);
  if (spec.subdomain !== undefined && !DNS_LABEL.test(spec.subdomain)) errs.push(`spec.subdomain: Invalid value: "${spec.subdomain}": a lowercase RFC 1123 label`);
  const dns = spec.dnsConfig;
  if (!dns || !Array.isArray(dns.nameservers) || !Array.isArray(dns.searches) || !Array.isArray(dns.options)) {
    errs.push('spec.dnsConfig: Required value: nameservers, searches and options');
  } else {
    if (dns.nameservers.length > 3) errs.push(`spec.dnsConfig.nameservers: Invalid value: must not have more than 3 nameservers`);
    dns.nameservers.forEach((ns, i) => isIP(ns) === 0 && errs.push(`spec.dnsConfig.nameservers[${i}]: Invalid value: "${ns}": must be a valid IP address`));
    if (dns.searches.length > 32) errs.push('spec.dnsConfig.searches: Invalid value: must not have more than 32 search paths');
  }
  for (const [i, a] of (spec.hostAliases ?? []).entries()) {
    if (isIP(a.ip) === 0) errs.push(`spec.hostAliases[${i}].ip: Invalid value: "${a.ip}": must be a valid IP address`);
  }
  const volumes = new Set<string>();
  for (const [i, v] of (spec.volumes ?? []).entries()) {
    // Volume names become directory names: a DNS label, never a path.
    const nameProblem = volumeNameProblem(v.name);
    if (nameProblem) errs.push(`spec.volumes[${i}].name: Invalid value: ${JSON.stringify(v.name)}: ${nameProblem}`);
    else if (volumes.has(v.name)) errs.push(`spec.volumes[${i}].name: Duplicate value: "${v.name}"`);
    volumes.add(v.name);
    const sources = [v.emptyDir, v.files, v.hostPath].filter((s) => s !== undefined).length;
    if (sources !== 1) errs.push(`spec.volumes[${i}]: Invalid value: exactly one of emptyDir, files, hostPath`);
    if (v.hostPath && v.hostPath.path !== '/etc/localtime') errs.push(`spec.volumes[${i}].hostPath.path: Forbidden: only /etc/localtime is allowed`);
    if (v.files) errs.push(...filesErrors(v.files, `spec.volumes[${i}].files`));
  }
  const names = new Set<string>();
  const check = (c: CciContainer, field: string): void => {
    if (!c.name || !DNS_LABEL.test(c.name)) errs.push(`${field}.name: Invalid value: "${c.name ?? ''}": a lowercase RFC 1123 label`);
    else if (names.has(c.name)) errs.push(`${field}.name: Duplicate value: "${c.name}"`);
    names.add(c.name);
    if (!c.image) errs.push(`${field}.image: Required value`);
    for (const [j, p] of (c.ports ?? []).entries()) {
      if (!Number.isInteger(p.containerPort) || p.containerPort < 1 || p.containerPort > 65535) {
        errs.push(`${field}.ports[${j}].containerPort: Invalid value: ${p.containerPort}: must be between 1 and 65535, inclusive`);
      }
    }
    for (const [j, m] of (c.volumeMounts ?? []).entries()) {
      if (!volumes.has(m.name)) errs.push(`${field}.volumeMounts[${j}].name: Not found: "${m.name}"`);
      if (!m.mountPath?.startsWith('/')) errs.push(`${field}.volumeMounts[${j}].mountPath: Invalid value: "${m.mountPath}": must be an absolute path`);
      if (m.subPath) for (const p of descendingPathProblems(m.subPath)) errs.push(`${field}.volumeMounts[${j}].subPath: Invalid value: ${JSON.stringify(m.subPath)}: ${p}`);
    }
    for (const kind of ['limits', 'requests'] as const) {
      for (const [name, q] of Object.entries(c.resources?.[kind] ?? {})) {
        try {
          if (typeof q !== 'string') throw new QuantityError('must be a quantity string');
          if (parseQuantity(q).milli < 0n) errs.push(`${field}.resources.${kind}[${name}]: Invalid value: ${JSON.stringify(q)}: must be greater than or equal to 0`);
        } catch (err) {
          if (!(err instanceof QuantityError)) throw err;
          errs.push(`${field}.resources.${kind}[${name}]: Invalid value: ${JSON.stringify(q)}: ${err.message}`);
        }
      }
    }
    for (const [j, e] of (c.env ?? []).entries()) {
      if (!e.name) errs.push(`${field}.env[${j}].name: Required value`);
      if (typeof e.value !== 'string') errs.push(`${field}.env[${j}].value: Required value: a string`);
    }
  };
  (spec.initContainers ?? []).forEach((c, i) => check(c, `spec.initContainers[${i}]`));
  (spec.containers ?? []).forEach((c, i) => check(c, `spec.containers[${i}]`));
  if (errs.length === 0) errs.push(...flavorErrors(pod));
  return errs;
}

const describe = (s: Size): string => `${formatCpu(s.cpuMilli)} CPU / ${formatMemory(s.memoryBytes)} memory`;

/**
 * The pod must fit a flavor, and the flavor burstlet recorded (its annotations) must be the one
 * CCI sizes the pod to: a smaller one could not hold it, a larger one would be billed for nothing.
 */
function flavorErrors(pod: CciPod): string[] {
  const size = cciPodSize(pod);
  const flavor = cciFlavor(size);
  if (!flavor) return [`spec.containers: Invalid value: the pod needs ${describe(size)}, more than the largest CCI 2.0 flavor`];
  const a = pod.metadata.annotations ?? {};
  const cpu = a[annotations.flavorCPU];
  const mem = a[annotations.flavorMemory];
  if (cpu === undefined && mem === undefined) return [];
  const field = `metadata.annotations[${annotations.flavorCPU}, ${annotations.flavorMemory}]`;
  let recorded: Size;
  try {
    recorded = { cpuMilli: cpuMillis(cpu ?? ''), memoryBytes: memoryBytes(mem ?? '') };
  } catch {
    return [`${field}: Invalid value: "${cpu ?? ''}", "${mem ?? ''}": both must be quantities`];
  }
  if (recorded.cpuMilli === flavor.cpuMilli && recorded.memoryBytes === flavor.memoryBytes) return [];
  return [`${field}: Invalid value: "${cpu}", "${mem}": the pod needs ${describe(size)}, which CCI runs on the ${describe(flavor)} flavor`];
}

/** A files volume: modes 0-0777 (nothing setuid), paths that stay below the volume. */
function filesErrors(files: NonNullable<CciVolume['files']>, field: string): string[] {
  const errs: string[] = [];
  const mode = (m: number | undefined, at: string): void => {
    const problem = m === undefined ? undefined : fileModeProblem(m);
    if (problem) errs.push(`${at}: Invalid value: ${JSON.stringify(m)}: ${problem}`);
  };
  mode(files.defaultMode, `${field}.defaultMode`);
  for (const [i, item] of (Array.isArray(files.items) ? files.items : []).entries()) {
    const at = `${field}.items[${i}]`;
    if (typeof item.path !== 'string' || item.path === '') errs.push(`${at}.path: Required value`);
    else for (const p of nonReservedPathProblems(item.path)) errs.push(`${at}.path: Invalid value: ${JSON.stringify(item.path)}: ${p}`);
    mode(item.mode, `${at}.mode`);
  }
  return errs;
}

export interface Usage {
  cpuMilli: bigint;
  memoryBytes: bigint;
  pods: bigint;
  ephemeralBytes: bigint;
}

export const ZERO_USAGE: Usage = { cpuMilli: 0n, memoryBytes: 0n, pods: 0n, ephemeralBytes: 0n };

/** What a pod consumes: its CCI flavor when burstlet recorded one, else its computed size. */
export function podUsage(pod: CciPod): Usage {
  const a = pod.metadata.annotations ?? {};
  const size = cciPodSize(pod);
  const cpu = a[annotations.flavorCPU];
  const mem = a[annotations.flavorMemory];
  const ephemeral = pod.spec.containers.reduce((sum, c) => {
    const q = c.resources?.limits?.['ephemeral-storage'] ?? c.resources?.requests?.['ephemeral-storage'];
    return sum + (q ? memoryBytes(q) : 0n);
  }, 0n);
  return {
    cpuMilli: cpu ? cpuMillis(cpu) : size.cpuMilli,
    memoryBytes: mem ? memoryBytes(mem) : size.memoryBytes,
    pods: 1n,
    ephemeralBytes: ephemeral,
  };
}

export function addUsage(a: Usage, b: Usage, sign: 1n | -1n = 1n): Usage {
  return {
    cpuMilli: a.cpuMilli + sign * b.cpuMilli,
    memoryBytes: a.memoryBytes + sign * b.memoryBytes,
    pods: a.pods + sign * b.pods,
    ephemeralBytes: a.ephemeralBytes + sign * b.ephemeralBytes,
  };
}

export function formatUsage(u: Usage): Record<string, string> {
  return { cpu: formatCpu(u.cpuMilli), memory: formatMemory(u.memoryBytes), pods: String(u.pods), 'ephemeral-storage': formatMemory(u.ephemeralBytes) };
}

/** Null when the pod fits; else Kubernetes' "exceeded quota" message. */
export function quotaExceeded(hard: Usage, used: Usage, request: Usage): string | null {
  const keys: [keyof Usage, string][] = [['cpuMilli', 'cpu'], ['memoryBytes', 'memory'], ['pods', 'pods'], ['ephemeralBytes', 'ephemeral-storage']];
  const over = keys.filter(([k]) => used[k] + request[k] > hard[k]).map(([, name]) => name);
  if (over.length === 0) return null;
  const pick = (u: Usage): string => over.map((n) => `${n}=${formatUsage(u)[n]}`).join(',');
  return `exceeded quota: cci-quota, requested: ${pick(request)}, used: ${pick(used)}, limited: ${pick(hard)}`;
}

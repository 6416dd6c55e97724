// Docker-link style environment variables for Services, exactly as the kubelet writes them
// (pkg/kubelet/envvars): <NAME>_SERVICE_HOST/_SERVICE_PORT[_<PORT NAME>] and
// <NAME>_PORT, <NAME>_PORT_<port>_<PROTO>[_PROTO|_PORT|_ADDR] for every port.
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import type { CciEnvVar } from '../../cci/types.ts';
import { urlHost } from '../../net/url-host.ts';

/** Services the kubelet always links, from the default namespace, even with enableServiceLinks false. */
const MASTER_SERVICES = new Set(['kubernetes']);

const envName = (s: string): string => s.toUpperCase().replaceAll('-', '_');

/** Headless and ExternalName services have no cluster IP and get no variables. */
function hasClusterIP(svc: V1Service): boolean {
  const ip = svc.spec?.clusterIP ?? '';
  return ip !== '' && ip !== 'None' && (svc.spec?.ports?.length ?? 0) > 0;
}

function hostPort(ip: string, port: number): string {
  return `${urlHost(ip)}:${port}`;
}

function serviceVars(svc: V1Service): CciEnvVar[] {
  const name = envName(svc.metadata?.name ?? '');
  const ip = svc.spec!.clusterIP!;
  const ports = svc.spec!.ports!;
  const out: CciEnvVar[] = [
    { name: `${name}_SERVICE_HOST`, value: ip },
    { name: `${name}_SERVICE_PORT`, value: String(ports[0]!.port) },
  ];
  for (const p of ports) if (p.name) out.push({ name: `${name}_SERVICE_PORT_${envName(p.name)}`, value: String(p.port) });
  ports.forEach((p, i) => {
    const proto = (p.protocol ?? 'TCP').toLowerCase();
    const url = `${proto}://${hostPort(ip, p.port)}`;
    if (i === 0) out.push({ name: `${name}_PORT`, value: url });
    const prefix = `${name}_PORT_${p.port}_${proto.toUpperCase()}`;
    out.push(
      { name: prefix, value: url },
      { name: `${prefix}_PROTO`, value: proto },
      { name: `${prefix}_PORT`, value: String(p.port) },
      { name: `${prefix}_ADDR`, value: ip },
    );
  });
  return out;
}

/**
 * The service variables of a pod, from the Services of every namespace it is given: those
 * of the pod's namespace when enableServiceLinks is not false, and `kubernetes` from
 * `default` always (a same-named service of the pod's namespace wins). Ordered by name.
 */
export function serviceLinkEnv(pod: V1Pod, services: readonly V1Service[]): CciEnvVar[] {
  const ns = pod.metadata?.namespace ?? 'default';
  const links = pod.spec?.enableServiceLinks !== false;
  const withIP = services.filter(hasClusterIP);
  const chosen = new Map<string, V1Service>();
  for (const svc of withIP) {
    if (svc.metadata?.namespace === 'default' && MASTER_SERVICES.has(svc.metadata.name ?? '')) chosen.set(svc.metadata.name ?? '', svc);
  }
  if (links) for (const svc of withIP) if (svc.metadata?.namespace === ns) chosen.set(svc.metadata.name ?? '', svc);
  return [...chosen.keys()].sort().flatMap((name) => serviceVars(chosen.get(name)!));
}

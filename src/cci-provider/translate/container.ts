// One Kubernetes container → one CCI container: what CCI runs as given (image, command,
// probes, lifecycle), what must be resolved first (env), and the security fields CCI accepts.
import type { V1Container, V1PodSecurityContext } from '@kubernetes/client-node';
import type { CciContainer, CciContainerPort, CciEnvVar, CciSecurityContext } from '../../cci/types.ts';
import type { TranslateContext } from './context.ts';
import { containerEnv } from './env.ts';

/** The container's effective security context: its own fields, else the pod's (as the kubelet merges them). Privileged was refused earlier. */
function securityContext(c: V1Container, pod: V1PodSecurityContext | undefined): CciSecurityContext | undefined {
  const sc = c.securityContext;
  const out: CciSecurityContext = {};
  const runAsUser = sc?.runAsUser ?? pod?.runAsUser;
  const runAsGroup = sc?.runAsGroup ?? pod?.runAsGroup;
  const runAsNonRoot = sc?.runAsNonRoot ?? pod?.runAsNonRoot;
  if (runAsUser !== undefined) out.runAsUser = runAsUser;
  if (runAsGroup !== undefined) out.runAsGroup = runAsGroup;
  if (runAsNonRoot !== undefined) out.runAsNonRoot = runAsNonRoot;
  if (sc?.readOnlyRootFilesystem !== undefined) out.readOnlyRootFilesystem = sc.readOnlyRootFilesystem;
  if (sc?.allowPrivilegeEscalation !== undefined) out.allowPrivilegeEscalation = sc.allowPrivilegeEscalation;
  if (sc?.capabilities) {
    out.capabilities = {};
    if (sc.capabilities.add) out.capabilities.add = [...sc.capabilities.add];
    if (sc.capabilities.drop) out.capabilities.drop = [...sc.capabilities.drop];
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

function ports(c: V1Container): CciContainerPort[] | undefined {
  // hostPort has no meaning without a host: only the container side travels.
  return c.ports?.map((p) => {
    const out: CciContainerPort = { containerPort: p.containerPort, protocol: (p.protocol ?? 'TCP') as CciContainerPort['protocol'] };
    if (p.name) out.name = p.name;
    return out;
  });
}

/** Copies the fields that are set, so the CCI pod carries no `undefined` noise. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function translateContainer(ctx: TranslateContext, c: V1Container, serviceEnv: readonly CciEnvVar[]): CciContainer {
  const env = containerEnv(ctx, c, serviceEnv);
  return defined<CciContainer>({
    name: c.name,
    image: c.image ?? '',
    command: c.command && [...c.command],
    args: c.args && [...c.args],
    workingDir: c.workingDir,
    env: env.length > 0 ? env : undefined,
    ports: ports(c),
    resources: c.resources && defined({ requests: c.resources.requests, limits: c.resources.limits }),
    volumeMounts: c.volumeMounts?.map((m) => defined({ name: m.name, mountPath: m.mountPath, subPath: m.subPath, readOnly: m.readOnly })),
    livenessProbe: c.livenessProbe,
    readinessProbe: c.readinessProbe,
    startupProbe: c.startupProbe,
    lifecycle: c.lifecycle,
    securityContext: securityContext(c, ctx.pod.spec?.securityContext),
    stdin: c.stdin,
    stdinOnce: c.stdinOnce,
    tty: c.tty,
    terminationMessagePath: c.terminationMessagePath,
  });
}

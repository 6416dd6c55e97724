// A pod's directory on the host: its /etc files and its volumes' content, shared by both
// runtimes (the isolated one mounts them into the pod's view; the process one leaves them here).
import { mkdir, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import type { CciPod } from '../types.ts';
import { renderHostname, renderHosts, renderResolvConf } from './pod-files.ts';
import type { MountRequest } from './mount-plan.ts';

export interface PreparedPod {
  dir: string;
  etc: { resolvConf: string; hosts: string; hostname: string };
  /** Volume name → host path of its content. */
  volumes: Map<string, { path: string; isFile: boolean; memory: boolean; sizeLimit?: string }>;
}

/** The Kubernetes namespace of the pod (from burstlet's annotation), else the CCI namespace. */
export function kubernetesNamespace(pod: CciPod): string {
  const key = pod.metadata.annotations?.['burstlet.io/pod'];
  return key?.includes('/') ? key.slice(0, key.indexOf('/')) : (pod.metadata.namespace ?? 'default');
}

/** A volume's content could not be made: the kubelet's FailedMount. */
export class VolumeError extends Error {
  override name = 'VolumeError';
  readonly volume: string;
  constructor(volume: string, message: string) {
    super(message);
    this.volume = volume;
  }
}

function safeJoin(base: string, rel: string): string {
  const full = path.resolve(base, rel);
  if (full !== base && !full.startsWith(base + path.sep)) throw new Error(`file path ${JSON.stringify(rel)} leaves its volume`);
  return full;
}

export async function preparePodDir(dir: string, pod: CciPod, podIP: string): Promise<PreparedPod> {
  const etcDir = path.join(dir, 'etc');
  await mkdir(etcDir, { recursive: true });
  const etc = {
    resolvConf: path.join(etcDir, 'resolv.conf'),
    hosts: path.join(etcDir, 'hosts'),
    hostname: path.join(etcDir, 'hostname'),
  };
  await Promise.all([
    writeFile(etc.resolvConf, renderResolvConf(pod.spec.dnsConfig)),
    writeFile(etc.hosts, renderHosts(pod.spec, podIP, kubernetesNamespace(pod))),
    writeFile(etc.hostname, renderHostname(pod.spec)),
  ]);
  const volumes: PreparedPod['volumes'] = new Map();
  for (const v of pod.spec.volumes ?? []) {
    if (v.hostPath) {
      volumes.set(v.name, { path: v.hostPath.path, isFile: true, memory: false });
      continue;
    }
    const vdir = path.join(dir, 'volumes', v.name);
    try {
      await mkdir(vdir, { recursive: true, mode: 0o777 });
      await chmod(vdir, 0o777); // emptyDir is world-writable, as in Kubernetes
      for (const item of v.files?.items ?? []) {
        const file = safeJoin(vdir, item.path);
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, Buffer.from(item.data, 'base64'), { mode: item.mode ?? v.files?.defaultMode ?? 0o644 });
        await chmod(file, item.mode ?? v.files?.defaultMode ?? 0o644);
      }
      if (v.files) await chmod(vdir, 0o755);
    } catch (err) {
      throw new VolumeError(v.name, (err as Error).message);
    }
    volumes.set(v.name, { path: vdir, isFile: false, memory: v.emptyDir?.medium === 'Memory', sizeLimit: v.emptyDir?.sizeLimit });
  }
  return { dir, etc, volumes };
}

/** Every volume mount of every container, resolved to host sources (subPath included). */
export function volumeMounts(pod: CciPod, prepared: PreparedPod): MountRequest[] {
  const out: MountRequest[] = [];
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    for (const m of c.volumeMounts ?? []) {
      const vol = prepared.volumes.get(m.name);
      if (!vol) continue;
      const source = m.subPath ? safeJoin(vol.path, m.subPath) : vol.path;
      out.push({ source, target: m.mountPath, readOnly: m.readOnly ?? false, sourceIsFile: vol.isFile || (m.subPath !== undefined && isFileItem(pod, m.name, m.subPath)) });
    }
  }
  return out;
}

function isFileItem(pod: CciPod, volume: string, subPath: string): boolean {
  const v = pod.spec.volumes?.find((x) => x.name === volume);
  return v?.files?.items.some((i) => path.normalize(i.path) === path.normalize(subPath)) ?? false;
}

// A pod's directory on the host: its /etc files and its volumes' content, shared by both
// runtimes (the isolated one mounts them into the pod's view; the process one leaves them here).
// Nothing a pod names (a volume, a file, a subPath, a symlink a container planted) leads out
// of its directory, and modes and ownership are the kubelet's.
import { lstatSync, mkdirSync, realpathSync } from 'node:fs';
import { chmod, chown, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CciPod } from '../../cci/types.ts';
import { renderHostname, renderHosts, renderResolvConf } from './pod-files.ts';
import type { MountRequest } from './mount-plan.ts';
import { errorMessage } from '../../log/error-message.ts';

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

const within = (base: string, full: string): boolean => full === base || full.startsWith(base + path.sep);

/** A volume's content could not be made: the kubelet's FailedMount. */
export class VolumeError extends Error {
  override name = 'VolumeError';
  readonly volume: string;
  constructor(volume: string, message: string) {
    super(message);
    this.volume = volume;
  }
}

function safeJoin(base: string, rel: string, what: string): string {
  const full = path.resolve(base, rel);
  if (!within(base, full)) throw new Error(`${what} ${JSON.stringify(rel)} leaves its directory`);
  return full;
}

/**
 * The kubelet's SetVolumeOwnership for an fsGroup: the group owns everything, files gain group
 * read (0440: these volumes are read-only), directories group read and search plus setgid.
 */
async function giveToFsGroup(at: string, gid: number): Promise<void> {
  const st = await stat(at);
  await chown(at, st.uid, gid);
  await chmod(at, (st.mode & 0o7777) | (st.isDirectory() ? 0o2550 : 0o440));
  if (st.isDirectory()) for (const entry of await readdir(at)) await giveToFsGroup(path.join(at, entry), gid);
}

export async function preparePodDir(dir: string, pod: CciPod, podIP: string): Promise<PreparedPod> {
  // As /var/lib/kubelet/pods/<uid>: no other host user reads a pod's secrets.
  await mkdir(dir, { recursive: true, mode: 0o750 });
  await chmod(dir, 0o750);
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
    let vdir: string;
    try {
      vdir = safeJoin(path.join(dir, 'volumes'), v.name, 'volume name');
      await mkdir(vdir, { recursive: true, mode: 0o777 });
      await chmod(vdir, 0o777); // emptyDir is world-writable, as in Kubernetes
      for (const item of v.files?.items ?? []) {
        const file = safeJoin(vdir, item.path, 'file path');
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, Buffer.from(item.data, 'base64'), { mode: item.mode ?? v.files?.defaultMode ?? 0o644 });
        await chmod(file, item.mode ?? v.files?.defaultMode ?? 0o644);
      }
      if (v.files) await chmod(vdir, 0o755);
      const fsGroup = pod.spec.securityContext?.fsGroup;
      if (v.files && fsGroup !== undefined) await giveToFsGroup(vdir, fsGroup);
    } catch (err) {
      throw new VolumeError(v.name, errorMessage(err));
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
      const source = m.subPath ? resolveSubPath(vol.path, m.subPath) : vol.path;
      out.push({ source, target: m.mountPath, readOnly: m.readOnly ?? false, sourceIsFile: vol.isFile || (m.subPath !== undefined && isFileItem(pod, m.name, m.subPath)) });
    }
  }
  return out;
}

/**
 * The host path of a subPath, its missing directories made (as the kubelet does), refused when
 * it leads out of the volume: a symlink a container planted (`ln -s / data/x`) is followed only
 * while it stays inside. The pod's mounts are all made before any of its containers runs, so
 * nothing in the pod can change the path between this check and the mount.
 */
export function resolveSubPath(volumeDir: string, subPath: string): string {
  const base = realpathSync(volumeDir);
  let at = base;
  for (const part of subPath.split('/').filter((p) => p !== '' && p !== '.')) {
    const next = path.join(at, part);
    if (lstatSync(next, { throwIfNoEntry: false }) === undefined) mkdirSync(next, { mode: 0o755 });
    at = realpathSync(next);
    if (!within(base, at)) throw new Error(`subPath ${JSON.stringify(subPath)} leads out of its volume (at ${JSON.stringify(part)})`);
  }
  return at;
}

function isFileItem(pod: CciPod, volume: string, subPath: string): boolean {
  const v = pod.spec.volumes?.find((x) => x.name === volume);
  return v?.files?.items.some((i) => path.normalize(i.path) === path.normalize(subPath)) ?? false;
}

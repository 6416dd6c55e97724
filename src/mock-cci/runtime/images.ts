// What an image does when the pod gives it no command: the mock has no images, so a few
// well-known ones get a built-in behaviour that matches what the seeds' examples expect.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { BURSTLET_MAIN, MODULE_EXTENSION } from '../../program/entry.ts';
import type { CciContainer } from '../../cci/types.ts';

const NGINX_SCRIPT = path.join(import.meta.dirname, `builtin-nginx${MODULE_EXTENSION}`);

/** `burstlet*` images (the networking sidecar, burstlet/network) whose command is `burstlet`. */
function isBurstletImage(image: string): boolean {
  return /^(docker\.io\/)?burstlet/.test(image);
}

/**
 * A burstlet image has the `burstlet` command on its PATH; the mock runs this repository's CLI
 * on its own Node for it, in the container's command as in its exec hooks and probes.
 */
export function imageExecArgv(image: string, argv: readonly string[]): string[] {
  if (isBurstletImage(image) && argv[0] === 'burstlet') return [process.execPath, '--no-warnings', BURSTLET_MAIN, ...argv.slice(1)];
  return [...argv];
}

/** The repository part of an image reference: "docker.io/library/nginx:1.25" → "nginx". */
export function imageName(image: string): string {
  const noDigest = image.split('@')[0]!;
  const last = noDigest.slice(noDigest.lastIndexOf('/') + 1);
  return last.split(':')[0]!.toLowerCase();
}

export function isNginx(image: string): boolean {
  return imageName(image).includes('nginx');
}

/** The argv the image would run: nginx serves HTTP on its first container port; others sleep. */
export function builtinArgv(c: CciContainer): string[] {
  if (isNginx(c.image)) {
    return [process.execPath, '--no-warnings', NGINX_SCRIPT, String(c.ports?.[0]?.containerPort ?? 80)];
  }
  return ['sleep', 'infinity'];
}

/** The argv a container runs: command+args, args alone replacing the image's default, or the default. */
export function containerArgv(c: CciContainer): { argv: string[]; expand: boolean } {
  // The mock has no burstlet image: its `burstlet` is this repository's CLI on the mock's own Node.
  if (c.command && c.command.length > 0) return { argv: imageExecArgv(c.image, [...c.command, ...(c.args ?? [])]), expand: true };
  if (c.args && c.args.length > 0 && !isNginx(c.image)) return { argv: [...c.args], expand: true };
  return { argv: builtinArgv(c), expand: false };
}

/** A stable, image-derived digest standing in for the registry's. */
export function imageID(image: string): string {
  const repo = image.split('@')[0]!.replace(/:[^/:]*$/, '');
  const full = repo.includes('/') ? repo : `docker.io/library/${repo}`;
  return `${full}@sha256:${createHash('sha256').update(image).digest('hex')}`;
}

// Docker's reference grammar (distribution/reference), simplified to what decides validity here.
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REFERENCE = new RegExp(`^(?:([a-zA-Z0-9.-]+(?::\\d+)?)/)?(${COMPONENT}(?:/${COMPONENT})*)(?::([\\w][\\w.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$`);

export interface PullFailure {
  reason: 'InvalidImageName' | 'ErrImagePull';
  message: string;
}

/**
 * Why the image cannot be had, as a container runtime would say: a reference that does not parse
 * (InvalidImageName, for good), or a registry that cannot exist (ErrImagePull, retried with
 * back-off): the mock pulls nothing, so only names under RFC 6761's .invalid fail to resolve.
 */
export function pullFailure(image: string): PullFailure | undefined {
  const m = REFERENCE.exec(image);
  if (!m) {
    return { reason: 'InvalidImageName', message: `Failed to apply default image tag ${JSON.stringify(image)}: couldn't parse image name ${JSON.stringify(image)}: invalid reference format` };
  }
  // The first component is a registry when it looks like a host (docker's rule).
  const [, first, rest, tag, digest] = m;
  const isHost = first !== undefined && (first.includes('.') || first.includes(':') || first === 'localhost');
  const host = isHost ? first.replace(/:\d+$/, '') : undefined;
  if (host === undefined || !host.toLowerCase().endsWith('.invalid')) return undefined;
  const path = rest!;
  const ref = digest ? `${first}/${path}@${digest}` : `${first}/${path}:${tag ?? 'latest'}`;
  return {
    reason: 'ErrImagePull',
    message: `rpc error: code = Unknown desc = failed to pull and unpack image ${JSON.stringify(ref)}: failed to resolve reference ${JSON.stringify(ref)}: ` +
      `failed to do request: Head "https://${first}/v2/${path}/manifests/${digest ?? tag ?? 'latest'}": dial tcp: lookup ${host}: no such host`,
  };
}

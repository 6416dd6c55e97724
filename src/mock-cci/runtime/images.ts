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

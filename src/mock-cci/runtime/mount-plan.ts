// The pod's own mount view, as a shell script run by the pod's holder process inside a fresh
// private mount namespace. The pod root is a tmpfs mirroring the host's top-level entries
// (recursive binds), so that paths which do not exist on the host can be created in the pod
// without touching the host: a missing top-level directory is made in the tmpfs, a missing
// deeper path under an overlay (upper layer in the pod's directory) of its deepest existing
// ancestor. Then volumes and the pod's /etc files are bound in, and the holder chroots into
// the root. Paths are resolved on the host first, so symlinks never lead a mkdir outside.
import path from 'node:path';

export interface MountRequest {
  source: string;
  /** The path inside the pod. */
  target: string;
  readOnly: boolean;
  /** Binding a file needs a file to bind onto. */
  sourceIsFile: boolean;
}

export interface TopLevelEntry {
  name: string;
  kind: 'dir' | 'file' | 'symlink';
  linkTarget?: string;
}

/** What the plan needs to know about the host's file tree (a fake in tests). */
export interface HostView {
  exists(p: string): boolean;
  realpath(p: string): string;
  topLevel(): TopLevelEntry[];
}

export interface MountPlanInput {
  /** Where the pod root is mounted (an empty host directory). */
  root: string;
  /** A host directory for overlay upper/work layers. */
  overlayDir: string;
  /** Directories to cover with a tmpfs before binding (emptyDir medium Memory). */
  tmpfs: { path: string; size?: string }[];
  mounts: MountRequest[];
}

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Splits a pod path into its canonical host ancestor (existing) and the missing rest. */
export function resolveTarget(target: string, host: HostView): { existing: string; missing: string[] } {
  const parts = path.posix.normalize(target).split('/').filter((p) => p !== '');
  let depth = parts.length;
  while (depth > 0 && !host.exists('/' + parts.slice(0, depth).join('/'))) depth--;
  const existing = depth === 0 ? '/' : host.realpath('/' + parts.slice(0, depth).join('/'));
  return { existing, missing: parts.slice(depth) };
}

export function buildMountScript(input: MountPlanInput, host: HostView): string {
  const q = shellQuote;
  const inRoot = (p: string): string => path.posix.join(input.root, p);
  const lines = ['set -e', `mount -t tmpfs -o mode=755 burstlet-pod-root ${q(input.root)}`];
  for (const entry of host.topLevel()) {
    const at = q(inRoot('/' + entry.name));
    if (entry.kind === 'symlink') lines.push(`ln -s ${q(entry.linkTarget ?? '')} ${at}`);
    else if (entry.kind === 'dir') lines.push(`mkdir ${at}`, `mount --rbind ${q('/' + entry.name)} ${at}`);
    else lines.push(`touch ${at}`, `mount --bind ${q('/' + entry.name)} ${at}`);
  }
  for (const t of input.tmpfs) {
    lines.push(`mount -t tmpfs ${t.size ? `-o size=${q(t.size)} ` : ''}burstlet-emptydir ${q(t.path)}`);
  }
  const overlays = new Set<string>();
  const binds: string[] = [];
  for (const m of input.mounts) {
    const { existing, missing } = resolveTarget(m.target, host);
    const target = inRoot(path.posix.join(existing, ...missing));
    if (missing.length > 0) {
      // Below "/" the tmpfs root takes new entries; deeper, an overlay keeps the host untouched.
      if (existing !== '/') overlays.add(existing);
      const parent = path.posix.dirname(target);
      binds.push(m.sourceIsFile ? `mkdir -p ${q(parent)} && touch ${q(target)}` : `mkdir -p ${q(target)}`);
    }
    binds.push(`mount --bind ${q(m.source)} ${q(target)}`);
    if (m.readOnly) binds.push(`mount -o remount,bind,ro ${q(target)}`);
  }
  // Shallower overlays first, so deeper ones stack on top of them.
  [...overlays].sort((a, b) => a.length - b.length).forEach((dir, i) => {
    const upper = path.posix.join(input.overlayDir, `u${i}`);
    const work = path.posix.join(input.overlayDir, `w${i}`);
    lines.push(
      `mkdir -p ${q(upper)} ${q(work)}`,
      `mount -t overlay burstlet-overlay -o ${q(`lowerdir=${dir},upperdir=${upper},workdir=${work}`)} ${q(inRoot(dir))}`,
    );
  });
  return [...lines, ...binds].join('\n');
}

// Resolves the relative imports of src/ (static, type-only, re-exports and dynamic) and lists
// those that go sideways or upward in the layer table, or that the table forbids outright.
// Independent of the ESLint rule, which matches import strings: this one resolves paths.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface Layer {
  name: string;
  folders: string[];
}

export interface Forbidden {
  from: string;
  to: string;
  why: string;
}

export interface Violation {
  file: string;
  imports: string;
  why: string;
}

const IMPORT = /(?:^|[\s;])(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;

/** The relative module specifiers a source file imports. */
export function importsOf(source: string): string[] {
  return [...source.matchAll(IMPORT)].map((m) => (m[1] ?? m[2] ?? m[3])!).filter((s) => s.startsWith('.'));
}

/** `files`: paths relative to src/ ("kube/client.ts") with their source text. */
export function layerViolations(files: ReadonlyMap<string, string>, layers: readonly Layer[], forbidden: readonly Forbidden[]): Violation[] {
  const level = new Map(layers.flatMap((l, i) => l.folders.map((f) => [f, i] as const)));
  const out: Violation[] = [];
  for (const [file, source] of files) {
    const from = file.split('/')[0]!;
    for (const spec of importsOf(source)) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
      const to = target.split('/')[0]!;
      if (to === from) continue;
      const a = level.get(from);
      const b = level.get(to);
      if (a === undefined || b === undefined) {
        out.push({ file, imports: target, why: `${a === undefined ? from : to} is in no layer` });
      } else if (b >= a) {
        out.push({ file, imports: target, why: b === a ? `sideways (both ${layers[a]!.name})` : `upward (${layers[a]!.name} -> ${layers[b]!.name})` });
      }
      for (const f of forbidden) {
        if (f.from === from && (target === f.to || target.startsWith(`${f.to}/`))) out.push({ file, imports: target, why: f.why });
      }
    }
  }
  return out;
}

/** Every .ts file under `root`, keyed by its path relative to it. */
export function readTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts')) out.set(path.relative(root, p).split(path.sep).join('/'), readFileSync(p, 'utf8'));
    }
  };
  walk(root);
  return out;
}

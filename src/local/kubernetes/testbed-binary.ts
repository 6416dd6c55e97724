// Where the real-Kubernetes test bed's binary (e2e/kubernetes, `npm run kubernetes:build`) lives:
// a cache outside the source tree, keyed by a hash of the Go module (go.mod, go.sum and its Go
// sources), so a changed module gets a new binary and an unchanged one is built once.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The Go module of the test bed, in the source tree (the same path from src/ and dist/). */
export const TESTBED_MODULE_DIR = resolve(import.meta.dirname, '../../../e2e/kubernetes');

export const TESTBED_BINARY_NAME = 'kube-testbed';

/** The files the binary is built from: go.mod, go.sum and the module's own .go files. */
export function testbedSources(moduleDir: string = TESTBED_MODULE_DIR): string[] {
  const goFiles = readdirSync(moduleDir).filter((f) => f.endsWith('.go'));
  return ['go.mod', 'go.sum', ...goFiles.sort()];
}

/** A short hash of the sources' names and contents: the cache key. */
export function testbedKey(moduleDir: string = TESTBED_MODULE_DIR): string {
  const hash = createHash('sha256');
  for (const file of testbedSources(moduleDir)) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(moduleDir, file)));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/** $BURSTLET_KUBE_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/burstlet/kubernetes. */
export function testbedCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BURSTLET_KUBE_CACHE) return env.BURSTLET_KUBE_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'burstlet', 'kubernetes');
}

export function testbedBinaryPath(moduleDir: string = TESTBED_MODULE_DIR, env: NodeJS.ProcessEnv = process.env): string {
  return join(testbedCacheRoot(env), testbedKey(moduleDir), TESTBED_BINARY_NAME);
}

/** The built binary for the current sources, or null with what to run to build it. */
export function findTestbedBinary(moduleDir: string = TESTBED_MODULE_DIR): { path: string } | { missing: string } {
  const path = testbedBinaryPath(moduleDir);
  if (existsSync(path)) return { path };
  return { missing: `the real-Kubernetes test bed is not built for these sources (${path} is missing): run \`npm run kubernetes:build\` (Go 1.24+; a first build takes minutes)` };
}

/** The Kubernetes release the module pins (its k8s.io/kubernetes requirement), e.g. v1.33.13. */
export function pinnedKubernetesVersion(goMod: string): string {
  const match = /^\s*k8s\.io\/kubernetes\s+(v\d+\.\d+\.\d+)\s*$/m.exec(goMod);
  if (!match) throw new Error('go.mod does not require k8s.io/kubernetes vX.Y.Z');
  return match[1]!;
}

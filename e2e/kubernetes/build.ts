// `npm run kubernetes:build`: builds the test bed's multi-call binary (see README.md here) into
// the cache outside the source tree, or reuses the one built from the same sources.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TESTBED_MODULE_DIR, pinnedKubernetesVersion, testbedBinaryPath } from '../../src/local/kubernetes/testbed-binary.ts';

const started = process.hrtime.bigint();
const seconds = (): string => (Number(process.hrtime.bigint() - started) / 1e9).toFixed(1);
const binary = testbedBinaryPath();

if (existsSync(binary)) {
  console.log(`kube-testbed: cached, ${binary} (${seconds()} s)`);
} else {
  const version = pinnedKubernetesVersion(readFileSync(join(TESTBED_MODULE_DIR, 'go.mod'), 'utf8'));
  const [major, minor] = version.slice(1).split('.');
  // What the release's own build stamps (hack/lib/version.sh): /version and --version report it.
  const stamp = Object.entries({ gitVersion: version, gitMajor: major, gitMinor: minor, gitTreeState: 'clean', buildDate: new Date().toISOString().replace(/\.\d+Z$/, 'Z') })
    .map(([k, v]) => `-X k8s.io/component-base/version.${k}=${v}`)
    .join(' ');
  mkdirSync(dirname(binary), { recursive: true });
  const partial = `${binary}.partial-${process.pid}`;
  // -s -w: no symbol table or DWARF, which the linker would spend a good part of its time on.
  const args = ['-n', '10', 'go', 'build', '-trimpath', '-ldflags', `-s -w ${stamp}`, '-o', partial, '.'];
  console.log(`kube-testbed: building Kubernetes ${version} components into ${binary} (a first build takes minutes)`);
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('nice', args, { cwd: TESTBED_MODULE_DIR, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) {
    console.error(`kube-testbed: go build failed (exit ${code}) after ${seconds()} s`);
    process.exit(1);
  }
  renameSync(partial, binary);
  console.log(`kube-testbed: built in ${seconds()} s, ${binary}`);
}

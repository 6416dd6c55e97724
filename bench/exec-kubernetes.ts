// Exec the whole way a user's goes: kubectl 1.33 → kube-apiserver (the real control plane) →
// burstlet's kubelet API → the CCI client → the mock CCI → the command in a CCI pod. Printed: the
// stdout throughput of 256 MiB of zeros (median of 3) against the same bytes through a local pipe
// in the same run, and the time of one `echo` exec (median of 20) against kubectl asking the API
// server for the pod (`kubectl get`: the same client start-up, TLS and authentication, no exec),
// so that the difference is the exec path: kube-apiserver's upgrade and proxy, burstlet, CCI.
import { spawn } from 'node:child_process';
import { kubectlPath } from '../e2e/support/kubectl.ts';
import { startKubernetesCluster } from '../e2e/support/kubernetes-cluster.ts';

const SIZE = 256 * 2 ** 20;
const KUBECTL = kubectlPath('1.33');

/** Runs a command, counting its stdout bytes; resolves with the seconds it took. */
function timed(cmd: string, args: string[], expectBytes?: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (bytes += c.length));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0 || (expectBytes !== undefined && bytes !== expectBytes)) reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}, ${bytes} bytes: ${stderr.slice(-500)}`));
      else resolve(seconds);
    });
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const cluster = await startKubernetesCluster();
try {
  const k = cluster.kubectl;
  await k.ok(['run', 'exec-bench', '--image=busybox', '--restart=Never', '--overrides',
    JSON.stringify({ spec: { nodeSelector: { 'kubernetes.io/hostname': 'burstlet-cci' }, tolerations: [{ operator: 'Exists' }] } }), '--', 'sleep', '3600']);
  await k.ok(['wait', '--for=condition=Ready', 'pod/exec-bench', '--timeout=90s']);
  const kc = ['--kubeconfig', cluster.kubeconfig];
  const through: number[] = [];
  const local: number[] = [];
  for (let round = 0; round < 3; round++) {
    through.push(await timed(KUBECTL, [...kc, 'exec', 'exec-bench', '--', 'head', '-c', String(SIZE), '/dev/zero'], SIZE));
    local.push(await timed('sh', ['-c', `head -c ${SIZE} /dev/zero | cat`], SIZE));
  }
  const mibs = (s: number): number => SIZE / 2 ** 20 / s;
  console.log(`exec stdout, ${SIZE / 2 ** 20} MiB of zeros, median of 3 rounds:`);
  console.log(`  kubectl → kube-apiserver → burstlet → CCI  ${mibs(median(through)).toFixed(0).padStart(5)} MiB/s  [${through.map((s) => mibs(s).toFixed(0)).join(' ')}]`);
  console.log(`  local pipe                                ${mibs(median(local)).toFixed(0).padStart(5)} MiB/s  [${local.map((s) => mibs(s).toFixed(0)).join(' ')}]`);
  console.log(`  ratio: ${(median(local) / median(through) * 100).toFixed(0)}% of the local pipe`);
  const execs: number[] = [];
  const gets: number[] = [];
  for (let i = 0; i < 20; i++) {
    execs.push(await timed(KUBECTL, [...kc, 'exec', 'exec-bench', '--', 'echo', 'hi']));
    gets.push(await timed(KUBECTL, [...kc, 'get', 'pod', 'exec-bench', '-o', 'name']));
  }
  console.log(`one exec of \`echo hi\`, median of 20: ${(median(execs) * 1000).toFixed(0)} ms; kubectl get of the pod: ${(median(gets) * 1000).toFixed(0)} ms; ` +
    `the exec path (API server upgrade and proxy, burstlet, CCI): ${((median(execs) - median(gets)) * 1000).toFixed(0)} ms`);
} finally {
  await cluster.stop();
}

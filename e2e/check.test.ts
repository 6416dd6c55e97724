// `burstlet check` as a user runs it: the real process on the operator's manifests/, on the
// README's examples, on standard input, with the exit codes scripts rely on.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckReport } from '../src/check/check.ts';

const repo = resolve(import.meta.dirname, '..');
const MAIN = resolve(repo, 'src/cli/main.ts');

function check(args: string[], stdin = ''): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, 'check', ...args], { cwd: repo, input: stdin, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every YAML heredoc (`<<'YAML' … YAML`) in the README: the examples a newcomer pastes. */
function readmeExamples(): string[] {
  const readme = readFileSync(resolve(repo, 'README.md'), 'utf8');
  return [...readme.matchAll(/<<'YAML'\n([\s\S]*?)\nYAML\n/g)].map((m) => m[1]!);
}

describe('burstlet check', () => {
  it('passes the operator\'s manifests/ (a directory), naming what creates no pods', () => {
    const r = check(['-f', 'manifests/', '--cluster-dns=10.247.3.10']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Deployment kube-system/cceaddon-virtual-kubelet-virtual-kubelet (manifests/deployment.yaml, document 1, spec.template.spec): can burst');
    expect(r.stdout).toMatch(/Not checked \(they create no pods\): .*ClusterRole burstlet/);
  });

  it('passes the README\'s examples as npm start\'s nodes run them, with the resolv.conf the README promises', () => {
    const examples = readmeExamples();
    expect(examples.length).toBeGreaterThan(0);
    for (const yaml of examples) {
      const r = check(['-f', '-', '--cluster-dns=198.19.0.10', '--enable-networking', '-o', 'json'], yaml);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as CheckReport;
      const web = report.templates.find((t) => t.name === 'web');
      if (!web) continue;
      expect(web).toMatchObject({ canBurst: true, flavor: { cpu: '500m', memory: '1Gi' } });
      expect(web.resolvConf!.split('\n')[0]).toBe('nameserver 198.19.0.10');
      expect(web.findings).toEqual([]);
    }
  });

  it('exits 1 for a pod that cannot burst, with the reason and what to do', () => {
    const daemonSet = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: a, image: agent}]}
`;
    const r = check(['-f', '-'], daemonSet);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('DaemonSet default/agent (document 1, spec.template.spec): cannot burst');
    expect(r.stdout).toContain('refused     UnsupportedDaemonSet: the pod belongs to DaemonSet "agent"');
    expect(r.stdout).toContain('1 pod template: 0 can burst, 1 cannot.');
  });

  it.each([
    ['no -f', [], '', /-f\/--filename is required/],
    ['a missing file', ['-f', 'no-such-file.yaml'], '', /cannot read "no-such-file.yaml"/],
    ['input that is not YAML', ['-f', '-'], 'a: [', /burstlet check: standard input, document 1: Flow sequence/],
    ['a bad output format', ['-f', '-', '-o', 'yaml'], '', /--output: not an accepted choice; expected one of text, json/],
  ])('exits 2 for %s', (_name, args, stdin, message) => {
    const r = check(args, stdin);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

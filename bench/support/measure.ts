// What the pod benchmarks share: bounded concurrency, quantiles, a process's CPU time and peak
// RSS from /proc, and the Node options burstlet runs with when deployed (manifests/).
import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'yaml';

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function allIn<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

export function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/** Peak resident memory (VmHWM) of a live process, MiB. */
export function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Resident memory now (VmRSS), MiB. */
export function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** User + system CPU seconds a process has used so far. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * CPU seconds so far of the local environment in `stateDir`, by component: `burstlet local`
 * itself (the embedded control plane, or what starts the real one) and the real control plane's
 * components (kube-testbed kube-apiserver, etcd, …).
 */
export function controlPlaneCpu(stateDir: string): Map<string, number> {
  const byComponent = new Map<string, number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const component = basename(args[0] ?? '') === 'kube-testbed' && args.some((a) => a.includes(stateDir))
        ? args[1]
        : args[args.indexOf('--state-dir') + 1] === stateDir && args.includes('local') ? 'burstlet local' : undefined;
      if (component) byComponent.set(component, (byComponent.get(component) ?? 0) + cpuSeconds(Number(pid)));
    } catch {
      // Exited while being read.
    }
  }
  return byComponent;
}

/** NODE_OPTIONS of the burstlet container in manifests/deployment.yaml, as flags, plus BENCH_NODE_FLAGS. */
export function shippedNodeFlags(): string[] {
  const deployment = parse(readFileSync(new URL('../../manifests/deployment.yaml', import.meta.url), 'utf8')) as {
    spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } };
  };
  const value = deployment.spec.template.spec.containers[0]?.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
  return [...value.split(' '), ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ')].filter(Boolean);
}

/**
 * Waits until a count of API writes stops moving for `quietMs` (at most `maxMs`): events are
 * rate limited (--event-qps) and trail a burst, and writes per pod count them all.
 */
export async function writesSettled(read: () => Promise<number>, quietMs = 3_000, maxMs = 600_000): Promise<void> {
  const end = performance.now() + maxMs;
  let last = await read();
  let since = performance.now();
  while (performance.now() - since < quietMs && performance.now() < end) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await read();
    if (now !== last) [last, since] = [now, performance.now()];
  }
}

// Live usage of a container's processes from /proc: cumulative CPU time (user + system of
// the process and all its descendants, including reaped children) and resident memory.
import { readFile } from 'node:fs/promises';

const CLOCK_TICK_NS = 10_000_000n; // USER_HZ = 100 on Linux
const PAGE_SIZE = 4096;

async function children(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text.split(' ').filter((s) => s !== '' && s !== '\n').map(Number);
}

/** Fields of /proc/<pid>/stat after the command name: utime, stime, cutime, cstime in ticks. */
export function parseStatTicks(stat: string): { own: bigint; reaped: bigint } {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime is field 14.
  const f = (n: number): bigint => BigInt(rest[n - 3] ?? '0');
  return { own: f(14) + f(15), reaped: f(16) + f(17) };
}

export interface ProcessUsage {
  cpuNs: bigint;
  rssBytes: number;
}

/** Usage of the process tree rooted at pid; zero when it is gone. */
export async function processTreeUsage(pid: number): Promise<ProcessUsage> {
  const usage: ProcessUsage = { cpuNs: 0n, rssBytes: 0 };
  const queue = [pid];
  const seen = new Set<number>();
  while (queue.length > 0) {
    const p = queue.shift()!;
    if (seen.has(p)) continue;
    seen.add(p);
    const [stat, statm] = await Promise.all([
      readFile(`/proc/${p}/stat`, 'utf8').catch(() => null),
      readFile(`/proc/${p}/statm`, 'utf8').catch(() => null),
    ]);
    if (stat === null || statm === null) continue;
    const ticks = parseStatTicks(stat);
    // Reaped children's time is counted once, at their parent, which is inside the tree.
    usage.cpuNs += (ticks.own + ticks.reaped) * CLOCK_TICK_NS;
    usage.rssBytes += Number(statm.split(' ')[1] ?? 0) * PAGE_SIZE;
    queue.push(...(await children(p)));
  }
  return usage;
}

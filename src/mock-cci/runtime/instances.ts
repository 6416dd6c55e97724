// What a mock CCI instance leaves on the host, and how a later one cleans it. Each instance's
// processes carry its tag in their environment and its host objects (bridge, network namespaces,
// veths) carry it in their names; a live instance is registered under the run directory (a
// tmpfs: a reboot clears it with the namespaces). At start an instance removes what its own
// tag left (a crash with the same state directory), and what any registered instance whose
// process is gone left (a `burstlet local` stopped too hard, with another state directory) —
// never what a live instance holds.
import { readdir, readFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { killGroup } from './actions.ts';
import { HostNetwork } from './netns.ts';

/** Set on every container and exec process; its value is the instance's tag. */
export const INSTANCE_ENV = 'BURSTLET_MOCK_CCI';

/** Where live isolated instances are registered ($BURSTLET_RUN_DIR overrides it, for tests). */
export function registryDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.BURSTLET_RUN_DIR ?? '/run/burstlet/mock-cci';
}

/** Kills processes an instance with this tag left running. */
export async function killLeftovers(tag: string): Promise<void> {
  const needle = `\0${INSTANCE_ENV}=${tag}\0`;
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d));
  await Promise.all(
    pids.map(async (pid) => {
      const environ = await readFile(`/proc/${pid}/environ`, 'latin1').catch(() => '');
      if (('\0' + environ).includes(needle)) killGroup(Number(pid), 'SIGKILL');
    }),
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Records this process as the live owner of `tag`'s host objects. */
export async function registerInstance(tag: string, dir = registryDir()): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(path.join(dir, tag), String(process.pid));
}

export async function unregisterInstance(tag: string, dir = registryDir()): Promise<void> {
  await rm(path.join(dir, tag), { force: true });
}

/** Removes the processes and host objects of registered instances whose process is gone; returns their tags. */
export async function reapDeadInstances(dir = registryDir()): Promise<string[]> {
  const tags = await readdir(dir).catch(() => [] as string[]);
  const reaped: string[] = [];
  for (const tag of tags) {
    if (!/^[0-9a-f]{1,16}$/.test(tag)) continue;
    const pid = Number((await readFile(path.join(dir, tag), 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) continue;
    await killLeftovers(tag);
    await HostNetwork.stopAll(tag);
    await unregisterInstance(tag, dir);
    reaped.push(tag);
  }
  return reaped;
}

// Leftovers of mock CCI instances that are gone (issue #12 item 11): a `burstlet local` stopped
// too hard left its bridge and pod namespaces, and the next start refused the subnets as taken.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { reapDeadInstances, registerInstance } from '../../../src/mock-cci/runtime/instances.ts';
import { HostNetwork } from '../../../src/mock-cci/runtime/netns.ts';

const canRun = process.getuid?.() === 0 && spawnSync('ip', ['-V']).status === 0;
const links = (): string => execFileSync('ip', ['-br', 'link']).toString();
const namespaces = (): string => execFileSync('ip', ['netns', 'list']).toString();

let dir = '';
const nets: HostNetwork[] = [];
afterEach(async () => {
  for (const n of nets.splice(0)) await n.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!canRun)('reapDeadInstances (root and iproute2)', () => {
  it('removes the bridge and pod namespaces of a registered instance whose process is gone, and leaves a live one\'s', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'bl-run-'));
    const third = 200 + Math.floor(Math.random() * 50);
    const [dead, live] = [randomBytes(3).toString('hex'), randomBytes(3).toString('hex')];
    for (const [i, tag] of [dead, live].entries()) {
      const net = new HostNetwork(tag, `198.19.${third + i}.1`, 24);
      nets.push(net);
      await net.start();
      await net.createPodNetns(0, `198.19.${third + i}.2`);
    }
    const gone = spawnSync('true').pid!; // a pid that has exited
    writeFileSync(path.join(dir, dead), String(gone));
    await registerInstance(live, dir); // this process: alive
    expect(await reapDeadInstances(dir)).toEqual([dead]);
    expect(links()).not.toContain(`blbr-${dead}`);
    expect(namespaces()).not.toContain(`bl-${dead}-0`);
    expect(links()).toContain(`blbr-${live}`);
    expect(namespaces()).toContain(`bl-${live}-0`);
  });
});

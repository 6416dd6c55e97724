// The isolated runtime's pod networks (needs root and iproute2, as the runtime itself does).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { HostNetwork } from '../../../src/mock-cci/runtime/netns.ts';

const canRun = process.getuid?.() === 0 && (() => {
  try {
    execFileSync('ip', ['-V']);
    return true;
  } catch {
    return false;
  }
})();

let net: HostNetwork | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

describe.skipIf(!canRun)('HostNetwork (root and iproute2)', () => {
  it('creates a pod\'s namespace over a leftover of the same name (a stop cut short left it: File exists, for good, before; issue #12 item 11)', async () => {
    const third = 200 + Math.floor(Math.random() * 50);
    net = new HostNetwork(randomBytes(3).toString('hex'), `198.19.${third}.1`, 24);
    await net.start();
    execFileSync('ip', ['netns', 'add', net.netnsName(0)]);
    const ns = await net.createPodNetns(0, `198.19.${third}.2`);
    expect(execFileSync('ip', ['-n', ns, '-br', 'addr', 'show', 'eth0']).toString()).toContain(`198.19.${third}.2/24`);
  });
});

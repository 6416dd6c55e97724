import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ephemeralRangeStart, freePort } from '../../src/local/free-port.ts';

describe('freePort', () => {
  it('draws ports below the ephemeral range, where outgoing connections never take one', async () => {
    const start = ephemeralRangeStart();
    for (let i = 0; i < 50; i++) {
      const port = await freePort();
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(start);
    }
  });

  it('never hands the same port out twice, and each can be listened on', async () => {
    const ports = await Promise.all(Array.from({ length: 40 }, () => freePort()));
    expect(new Set(ports).size).toBe(ports.length);
    const port = ports[0]!;
    const server = createServer();
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, '127.0.0.1', resolve); });
    await new Promise((r) => server.close(r));
  });

  it('reads the range from the kernel file, and falls back to Linux\'s default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'range-'));
    writeFileSync(join(dir, 'r'), '40000\t60999\n');
    expect(ephemeralRangeStart(join(dir, 'r'))).toBe(40_000);
    writeFileSync(join(dir, 'bad'), 'garbage');
    expect(ephemeralRangeStart(join(dir, 'bad'))).toBe(32_768);
    expect(ephemeralRangeStart(join(dir, 'missing'))).toBe(32_768);
  });
});

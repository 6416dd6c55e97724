import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadHostResolvConf } from '../../../src/network/dns/host-resolv-conf.ts';

describe('loadHostResolvConf', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('"" means no host file', async () => {
    expect(await loadHostResolvConf('')).toBeNull();
  });

  it('parses the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bl-dns-'));
    dirs.push(dir);
    await writeFile(join(dir, 'resolv.conf'), 'nameserver 198.18.0.53\nsearch corp.example\n');
    expect(await loadHostResolvConf(join(dir, 'resolv.conf'))).toEqual({ nameservers: ['198.18.0.53'], searches: ['corp.example'], options: [] });
  });

  it('a missing file names the flag and what to do', async () => {
    await expect(loadHostResolvConf('/nonexistent/bl-resolv.conf')).rejects.toThrow(/cannot read --resolv-conf "\/nonexistent\/bl-resolv.conf".*--resolv-conf="" for none/);
  });
});

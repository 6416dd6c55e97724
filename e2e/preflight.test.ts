// The isolated runtime's preflight as users meet it: `burstlet local --nodes` and `burstlet
// mock-cci` on a machine without nftables exit 2 before starting anything, naming what is
// missing, its Debian package and --runtime=process. The machine is simulated by a PATH that
// has every command but nft.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = resolve(import.meta.dirname, '../src/cli/main.ts');
let tmp: string;
let path: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'bl-preflight-'));
  const bin = join(tmp, 'bin');
  mkdirSync(bin);
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (name !== 'nft' && !existsSync(join(bin, name))) symlinkSync(join(dir, name), join(bin, name));
    }
  }
  path = [dirname(process.execPath), bin].join(delimiter);
  writeFileSync(join(tmp, 'token'), 'secret\n');
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('preflight of the isolated runtime', () => {
  it.each([
    ['burstlet local --nodes', ['local', '--nodes', '--runtime=isolated', '--port=0'], 'burstlet local --nodes --runtime=process'],
    ['burstlet mock-cci', ['mock-cci', '--runtime=isolated', '--subnet=198.18.251.0/24'], 'burstlet mock-cci --runtime=process'],
  ])('%s exits 2 naming nftables and the way without root, having started nothing', (_name, args, otherwise) => {
    const stateDir = join(tmp, `state-${args[0]}`);
    const r = spawnSync(process.execPath, [MAIN, ...args, `--state-dir=${stateDir}`, ...(args[0] === 'mock-cci' ? [`--token-file=${join(tmp, 'token')}`] : [])], {
      env: { ...process.env, PATH: path }, encoding: 'utf8', timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('the isolated runtime (--runtime=isolated, the default as root) cannot run on this machine');
    expect(r.stderr).toContain('nft is not installed (Debian package nftables)');
    expect(r.stderr).toContain('apt-get install nftables');
    expect(r.stderr).toContain(otherwise);
    expect(r.stdout).toBe('');
    expect(existsSync(stateDir)).toBe(false);
  });
});

// The installed `burstlet` command runs the build (dist/, made by `npm run build`, which `npm ci`
// runs through `prepare`): with type stripping turned off it must still run every subcommand.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../..');
const bin = path.join(repo, 'bin/burstlet.js');

describe('bin/burstlet.js', () => {
  it.each(['local', 'node', 'mock-cci', 'sidecar', 'check'])('runs %s from plain JavaScript', (sub) => {
    const out = execFileSync(process.execPath, ['--no-experimental-strip-types', bin, sub, '--help'], { encoding: 'utf8' });
    expect(out).toContain(`Usage: burstlet ${sub} [flags]`);
  });

  it('exits 2 naming the flag for a bad value, as from the sources', () => {
    const r = spawnSync(process.execPath, ['--no-experimental-strip-types', bin, 'node', '--port=http'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--port');
  });

  it('starts its own files from the build: burstlet images and builtin nginx run dist/ JavaScript', () => {
    const script = `
      const { imageExecArgv, builtinArgv } = await import(${JSON.stringify(path.join(repo, 'dist/mock-cci/runtime/images.js'))});
      console.log(JSON.stringify([imageExecArgv('burstlet/network:0.1.0', ['burstlet', 'sidecar']), builtinArgv({ name: 'web', image: 'nginx' })]));`;
    const [sidecar, nginx] = JSON.parse(execFileSync(process.execPath, ['--no-experimental-strip-types', '--input-type=module', '-e', script], { encoding: 'utf8' })) as string[][];
    expect(sidecar).toContain(path.join(repo, 'dist/cli/main.js'));
    expect(nginx).toContain(path.join(repo, 'dist/mock-cci/runtime/builtin-nginx.js'));
  });
});

describe('burstlet node --zone-nodes', () => {
  it('exits 2 naming the flag and the bad key, before anything starts', () => {
    const r = spawnSync(process.execPath, [path.join(repo, 'src/cli/main.ts'), 'node', '--nodename=vk', '--cci-endpoint=http://127.0.0.1:9', '--cci-token-file=/nonexistent', '--zone-nodes=az1=true,az1.gpu=1'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--zone-nodes: az1.gpu: unknown parameter "gpu"; expected az1.cpu, az1.memory, az1.networks');
  });
});

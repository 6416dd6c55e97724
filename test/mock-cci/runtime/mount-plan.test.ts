import { describe, expect, it } from 'vitest';
import { buildMountScript, resolveTarget, shellQuote, type HostView } from '../../../src/mock-cci/runtime/mount-plan.ts';

const existing = new Set(['/etc', '/etc/resolv.conf', '/etc/app', '/usr', '/usr/share', '/var', '/var/run', '/run']);
const host: HostView = {
  exists: (p) => existing.has(p),
  realpath: (p) => (p.startsWith('/var/run') ? p.replace('/var/run', '/run') : p),
  topLevel: () => [
    { name: 'etc', kind: 'dir' },
    { name: 'bin', kind: 'symlink', linkTarget: 'usr/bin' },
    { name: 'swapfile', kind: 'file' },
  ],
};

describe('resolveTarget', () => {
  it.each([
    ['/etc/app', '/etc/app', []],
    ['/usr/share/nginx/html', '/usr/share', ['nginx', 'html']],
    ['/data', '/', ['data']],
    ['/var/run/secrets/token', '/run', ['secrets', 'token']],
  ])('%s', (target, existingPart, missing) => expect(resolveTarget(target, host)).toEqual({ existing: existingPart, missing }));
});

describe('buildMountScript', () => {
  it('mirrors the host root, overlays missing deep paths and binds volumes, never writing outside the pod root', () => {
    const script = buildMountScript(
      {
        root: '/s/p/root',
        overlayDir: '/s/p/ovl',
        tmpfs: [{ path: '/s/p/volumes/mem', size: '64Mi' }],
        mounts: [
          { source: '/s/p/volumes/cfg', target: '/etc/app', readOnly: true, sourceIsFile: false },
          { source: '/s/p/volumes/html', target: '/usr/share/nginx/html', readOnly: false, sourceIsFile: false },
          { source: '/s/p/volumes/mem', target: '/data', readOnly: false, sourceIsFile: false },
          { source: '/s/p/etc/resolv.conf', target: '/etc/resolv.conf', readOnly: false, sourceIsFile: true },
        ],
      },
      host,
    );
    expect(script.split('\n')).toEqual([
      'set -e',
      "mount -t tmpfs -o mode=755 burstlet-pod-root '/s/p/root'",
      "mkdir '/s/p/root/etc'",
      "mount --rbind '/etc' '/s/p/root/etc'",
      "ln -s 'usr/bin' '/s/p/root/bin'",
      "touch '/s/p/root/swapfile'",
      "mount --bind '/swapfile' '/s/p/root/swapfile'",
      "mount -t tmpfs -o size='64Mi' burstlet-emptydir '/s/p/volumes/mem'",
      "mkdir -p '/s/p/ovl/u0' '/s/p/ovl/w0'",
      "mount -t overlay burstlet-overlay -o 'lowerdir=/usr/share,upperdir=/s/p/ovl/u0,workdir=/s/p/ovl/w0' '/s/p/root/usr/share'",
      "mount --bind '/s/p/volumes/cfg' '/s/p/root/etc/app'",
      "mount -o remount,bind,ro '/s/p/root/etc/app'",
      "mkdir -p '/s/p/root/usr/share/nginx/html'",
      "mount --bind '/s/p/volumes/html' '/s/p/root/usr/share/nginx/html'",
      "mkdir -p '/s/p/root/data'",
      "mount --bind '/s/p/volumes/mem' '/s/p/root/data'",
      "mount --bind '/s/p/etc/resolv.conf' '/s/p/root/etc/resolv.conf'",
    ]);
  });
  it('quotes for sh', () => expect(shellQuote("it's")).toBe(`'it'\\''s'`));
});

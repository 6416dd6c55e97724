// A pod's files on the host stay under its own directory (issue #12 item 8), with the modes
// the kubelet gives them (item 10).
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { preparePodDir, volumeMounts } from '../../src/mock-cci/runtime/volumes.ts';
import type { CciPod, CciVolume } from '../../src/cci/types.ts';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'bl-volumes-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function pod(volumes: CciVolume[], mounts: { name: string; mountPath: string; subPath?: string }[] = [], fsGroup?: number): CciPod {
  return {
    apiVersion: 'cci/v2', kind: 'Pod', metadata: { name: 'p' },
    spec: {
      restartPolicy: 'Always', hostname: 'p', dnsConfig: { nameservers: [], searches: [], options: [] }, volumes,
      containers: [{ name: 'c', image: 'busybox', volumeMounts: mounts }],
      ...(fsGroup === undefined ? {} : { securityContext: { fsGroup } }),
    },
  };
}

const mode = (p: string): number => statSync(p).mode & 0o7777;

describe('pod directory', () => {
  it('refuses a volume whose name leads out of the pod directory, writing nothing there', async () => {
    const dir = path.join(root, 'state', 'pods', 'uid');
    const name = '../../../victim';
    const p = pod([{ name, files: { items: [{ path: 'x', data: b64('x'), mode: 0o4755 }] } }]);
    await expect(preparePodDir(dir, p, '198.18.0.2')).rejects.toThrow(/leaves/);
    expect(existsSync(path.resolve(dir, 'volumes', name))).toBe(false);
  });

  it('keeps a subPath inside its volume: a planted symlink out of it is refused, one within it is followed', async () => {
    const dir = path.join(root, 'pod');
    const p = pod([{ name: 'data', emptyDir: {} }]);
    const prepared = await preparePodDir(dir, p, '198.18.0.2');
    const vol = prepared.volumes.get('data')!.path;
    mkdirSync(path.join(root, 'outside'));
    symlinkSync(path.join(root, 'outside'), path.join(vol, 'escape'));
    symlinkSync('/', path.join(vol, 'root'));
    mkdirSync(path.join(vol, 'real'));
    symlinkSync('real', path.join(vol, 'inside'));
    const mounts = (subPath: string) => volumeMounts(pod([{ name: 'data', emptyDir: {} }], [{ name: 'data', mountPath: '/m', subPath }]), prepared);
    expect(() => mounts('escape')).toThrow(/leads out of its volume/);
    expect(() => mounts('escape/new/dir')).toThrow(/leads out of its volume/);
    expect(existsSync(path.join(root, 'outside', 'new'))).toBe(false);
    expect(() => mounts('root/etc')).toThrow(/leads out of its volume/);
    expect(mounts('inside')[0]!.source).toBe(path.join(vol, 'real'));
    // A subPath that does not exist yet is made, inside the volume, as the kubelet does.
    expect(mounts('a/b')[0]!.source).toBe(path.join(vol, 'a', 'b'));
    expect(statSync(path.join(vol, 'a', 'b')).isDirectory()).toBe(true);
  });

  it('gives the pod directory and its files the kubelet\'s modes, and an fsGroup the kubelet\'s ownership', async () => {
    const dir = path.join(root, 'pod');
    const files: CciVolume = { name: 'secret', files: { items: [{ path: 'token', data: b64('t'), mode: 0o600 }, { path: 'sub/key', data: b64('k') }], defaultMode: 0o644 } };
    const prepared = await preparePodDir(dir, pod([files], [], 2000), '198.18.0.2');
    expect(mode(dir)).toBe(0o750);
    const vol = prepared.volumes.get('secret')!.path;
    // Group-readable for the fsGroup (the kubelet's SetVolumeOwnership on a read-only volume).
    expect(mode(path.join(vol, 'token'))).toBe(0o640);
    expect(mode(path.join(vol, 'sub', 'key'))).toBe(0o644);
    expect(statSync(path.join(vol, 'token')).gid).toBe(2000);
    expect(mode(vol) & 0o2550).toBe(0o2550);
    expect(statSync(vol).gid).toBe(2000);
  });
});

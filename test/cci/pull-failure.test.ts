import { describe, expect, it } from 'vitest';
import { pullFailure } from '../../src/mock-cci/runtime/images.ts';

describe('pullFailure (the mock\'s image pulls)', () => {
  it.each(['nginx', 'nginx:1.25', 'docker.io/library/nginx:latest', 'localhost:5000/team/app:v1', 'busybox@sha256:' + 'a'.repeat(64), 'my-registry.example.com/a/b_c/d:1.0'])('%s can be had', (image) => {
    expect(pullFailure(image)).toBeUndefined();
  });

  it.each(['Nginx', 'nginx:', 'bad image', 'nginx::1', '/nginx'])('%s is an InvalidImageName', (image) => {
    expect(pullFailure(image)).toEqual({
      reason: 'InvalidImageName',
      message: `Failed to apply default image tag ${JSON.stringify(image)}: couldn't parse image name ${JSON.stringify(image)}: invalid reference format`,
    });
  });

  it('an image from a .invalid registry cannot be pulled: the host does not resolve', () => {
    expect(pullFailure('registry.invalid/team/app:1')).toEqual({
      reason: 'ErrImagePull',
      message: 'rpc error: code = Unknown desc = failed to pull and unpack image "registry.invalid/team/app:1": failed to resolve reference "registry.invalid/team/app:1": ' +
        'failed to do request: Head "https://registry.invalid/v2/team/app/manifests/1": dial tcp: lookup registry.invalid: no such host',
    });
    expect(pullFailure('registry.invalid:5000/app')?.message).toContain('"registry.invalid:5000/app:latest"');
  });
});

import { describe, expect, it } from 'vitest';
import { renderHostname, renderHosts } from '../../../src/mock-cci/runtime/pod-files.ts';
import type { CciPodSpec } from '../../../src/cci/types.ts';

const HEADER =
  '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' +
  'fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n';

const spec = (extra: Partial<CciPodSpec>): CciPodSpec => ({
  containers: [],
  restartPolicy: 'Always',
  hostname: 'web-0',
  dnsConfig: { nameservers: [], searches: [], options: [] },
  ...extra,
});

describe('renderHosts', () => {
  it('plain hostname', () => {
    expect(renderHosts(spec({}), '198.18.0.5', 'default')).toBe(`${HEADER}198.18.0.5\tweb-0\n`);
  });
  it('FQDN with subdomain in the Kubernetes namespace and cluster domain', () => {
    expect(renderHosts(spec({ subdomain: 'web', clusterDomain: 'corp.local' }), '198.18.0.5', 'shop')).toBe(
      `${HEADER}198.18.0.5\tweb-0.web.shop.svc.corp.local\tweb-0\n`,
    );
  });
  it('host aliases section', () => {
    const hostAliases = [{ ip: '198.18.9.1', hostnames: ['foo.local', 'bar.local'] }, { ip: '198.18.9.2', hostnames: ['baz'] }];
    expect(renderHosts(spec({ hostAliases }), '198.18.0.5', 'default')).toBe(
      `${HEADER}198.18.0.5\tweb-0\n\n# Entries added by HostAliases.\n198.18.9.1\tfoo.local\tbar.local\n198.18.9.2\tbaz\n`,
    );
  });
  it('hostname file', () => expect(renderHostname(spec({}))).toBe('web-0\n'));
});

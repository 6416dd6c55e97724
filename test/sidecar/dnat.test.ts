import { describe, expect, it } from 'vitest';
import { nftScript, preferredListenerPort, type DnatRule } from '../../src/sidecar/dnat.ts';

const replaceBoth = ['add table ip burstlet', 'delete table ip burstlet', 'add table ip6 burstlet', 'delete table ip6 burstlet'];

describe('nftScript', () => {
  const cases: { name: string; rules: DnatRule[]; want: string[] }[] = [
    { name: 'no rules: both tables removed (and nothing fails if they never existed)', rules: [], want: replaceBoth },
    {
      name: 'IPv4 TCP and UDP: one nat chain on the output hook',
      rules: [
        { clusterIP: '198.19.0.10', port: 53, protocol: 'UDP', localPort: 40001 },
        { clusterIP: '198.19.0.10', port: 53, protocol: 'TCP', localPort: 40002 },
      ],
      want: [
        'add table ip burstlet', 'delete table ip burstlet',
        'table ip burstlet {', '  chain services {', '    type nat hook output priority -100; policy accept;',
        '    ip daddr 198.19.0.10 udp dport 53 dnat to 198.19.0.10:40001',
        '    ip daddr 198.19.0.10 tcp dport 53 dnat to 198.19.0.10:40002',
        '  }', '}',
        'add table ip6 burstlet', 'delete table ip6 burstlet',
      ],
    },
    {
      name: 'IPv6 goes to the ip6 table, with a bracketed target',
      rules: [{ clusterIP: 'fd00::a', port: 80, protocol: 'TCP', localPort: 41000 }],
      want: [
        'add table ip burstlet', 'delete table ip burstlet', 'add table ip6 burstlet', 'delete table ip6 burstlet',
        'table ip6 burstlet {', '  chain services {', '    type nat hook output priority -100; policy accept;',
        '    ip6 daddr fd00::a tcp dport 80 dnat to [fd00::a]:41000',
        '  }', '}',
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(nftScript(c.rules)).toBe(c.want.join('\n') + '\n');
    });
  }
});

describe('preferredListenerPort', () => {
  const keys = ['TCP/198.19.0.10:53', 'UDP/198.19.0.10:53', 'TCP/198.19.0.20:80', 'TCP/[fd00::a]:80'];
  for (const key of keys) {
    it(`${key}: the same port every time, in the ephemeral range`, () => {
      const port = preferredListenerPort(key);
      expect(port).toBe(preferredListenerPort(key));
      expect(port).toBeGreaterThanOrEqual(32768);
      expect(port).toBeLessThanOrEqual(60999);
    });
  }
  it('differs between entries', () => {
    expect(new Set(keys.map(preferredListenerPort)).size).toBe(keys.length);
  });
});

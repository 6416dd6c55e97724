import { describe, expect, it } from 'vitest';
import { parseResolvConf, renderResolvConf } from '../../../src/network/dns/resolv-conf.ts';

describe('parseResolvConf', () => {
  it.each([
    ['nameservers accumulate', 'nameserver 198.18.0.1\nnameserver 198.18.0.2\n', { nameservers: ['198.18.0.1', '198.18.0.2'], searches: [], options: [] }, []],
    ['the last search line wins, one trailing dot removed', 'search a.example b.\n\tsearch  c.example.  d \n', { nameservers: [], searches: ['c.example', 'd'], options: [] }, []],
    ['the last options line wins', 'options rotate\noptions ndots:2 timeout:1 edns0\n',
      { nameservers: [], searches: [], options: [{ name: 'ndots', value: '2' }, { name: 'timeout', value: '1' }, { name: 'edns0' }] }, []],
    ['comments, blank lines and unknown keywords ignored', '# nameserver 198.18.0.9\n\n  # x\ndomain corp\nsortlist 198.18.0.0\nnameserver 198.18.0.3 # trailing\n',
      { nameservers: ['198.18.0.3'], searches: [], options: [] }, []],
    ['an empty nameserver line is an error, the rest still parses', 'nameserver\nnameserver 198.18.0.4\n',
      { nameservers: ['198.18.0.4'], searches: [], options: [] }, ['nameserver list is empty']],
    ['CRLF line ends', 'nameserver 198.18.0.5\r\nsearch x\r\n', { nameservers: ['198.18.0.5'], searches: ['x'], options: [] }, []],
  ])('%s', (_name, text, config, errors) => {
    expect(parseResolvConf(text)).toEqual({ config, errors });
  });
});

describe('renderResolvConf', () => {
  it.each([
    ['nameservers first (the seed checks the first line), then search, then options',
      { nameservers: ['198.19.0.10', '198.18.7.1'], searches: ['team.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: [{ name: 'ndots', value: '5' }, { name: 'rotate' }] },
      'nameserver 198.19.0.10\nnameserver 198.18.7.1\nsearch team.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5 rotate\n'],
    ['absent parts left out', { nameservers: ['127.0.0.1'], searches: [], options: [] }, 'nameserver 127.0.0.1\n'],
    ['empty config is an empty file', { nameservers: [], searches: [], options: [] }, ''],
  ])('%s', (_name, config, text) => {
    expect(renderResolvConf(config)).toBe(text);
  });

  it('parse(render(x)) = x', () => {
    const config = { nameservers: ['198.18.0.1'], searches: ['a', 'b'], options: [{ name: 'ndots', value: '5' }] };
    expect(parseResolvConf(renderResolvConf(config)).config).toEqual(config);
  });
});

import { describe, expect, it } from 'vitest';
import mockCci from '../../src/cli/mock-cci.ts';
import { parseFlags, UsageError } from '../../src/flags/flags.ts';

const subnets = (...args: string[]) => parseFlags(mockCci, args).subnet;
const ACCEPTED = 'expected comma-separated [<name>=]<IPv4 CIDR from /16 to /30> (unnamed: "default"), such as 198.18.0.0/24 or fixed=198.18.1.0/24';

describe('burstlet mock-cci --subnet', () => {
  it('defaults to one Network, default', () => {
    expect(subnets()).toEqual([{ name: 'default', cidr: '198.18.0.0/24' }]);
  });

  it('is repeatable, named or not, the first the default; an unnamed one is called default', () => {
    expect(subnets('--subnet=198.18.4.0/24', '--subnet=fixed=198.18.5.0/24', '--subnet', 'db=198.18.6.0/28,web=198.18.7.0/28')).toEqual([
      { name: 'default', cidr: '198.18.4.0/24' },
      { name: 'fixed', cidr: '198.18.5.0/24' },
      { name: 'db', cidr: '198.18.6.0/28' },
      { name: 'web', cidr: '198.18.7.0/28' },
    ]);
    expect(subnets('--subnet=fixed=198.18.5.0/24', '--subnet=198.18.4.0/24').map((n) => n.name)).toEqual(['fixed', 'default']);
  });

  it.each([
    [['--subnet=a=198.18.0.0/24', '--subnet=a=198.18.1.0/24'], 'two Networks are named a'],
    [['--subnet=198.18.0.0/24', '--subnet=198.18.1.0/24'], 'two Networks are named default'],
    [['--subnet=a=198.18.0.0/23', '--subnet=b=198.18.1.0/24'], 'Networks a (198.18.0.0/23) and b (198.18.1.0/24) overlap'],
  ])('refuses %j naming the flag and the accepted form', (args, problem) => {
    expect(() => subnets(...args)).toThrow(UsageError);
    expect(() => subnets(...args)).toThrow(`burstlet mock-cci: invalid --subnet: ${problem}; give each Network its own name and range; ${ACCEPTED}`);
  });

  it.each([['--subnet=Fixed=198.18.1.0/24', 'is not a Network name'], ['--subnet=a=198.18.1.0/8', 'outside /16-/30']])('refuses %s', (arg, reason) => {
    expect(() => subnets(arg)).toThrow(UsageError);
    expect(() => subnets(arg)).toThrow(/invalid value .* for --subnet: .*expected comma-separated \[<name>=\]/);
    expect(() => subnets(arg)).toThrow(reason);
  });
});

import { describe, expect, it } from 'vitest';
import {
  boolFlag, defineSubcommand, durationFlag, formatDuration, helpText, intFlag, ipAddress, keyValueFlag, listFlag, parseDuration,
  parseFlags, stringFlag, UsageError,
} from '../../src/flags/flags.ts';

const command = defineSubcommand({
  name: 'demo',
  summary: 'A demo.',
  flags: {
    port: intFlag('Port to serve on.', 10250, 1, 65535),
    name: { ...stringFlag('A name.', 'x'), short: 'n' },
    verbose: boolFlag('Say more.'),
    'cluster-dns': listFlag('DNS servers.', 'IP addresses', ipAddress, { max: 3 }),
    labels: keyValueFlag('Labels.'),
    period: durationFlag('A period.', 10_000),
  },
  run() {},
});

describe('parseFlags', () => {
  it.each([
    [[], { port: 10250, name: 'x', verbose: false, 'cluster-dns': [], labels: {}, period: 10_000 }],
    [['--port=8080', '--name', 'y', '--verbose'], { port: 8080, name: 'y', verbose: true }],
    [['--verbose=false'], { verbose: false }],
    [['--cluster-dns=198.18.0.10,198.18.0.11', '--cluster-dns', '198.18.0.12'], { 'cluster-dns': ['198.18.0.10', '198.18.0.11', '198.18.0.12'] }],
    [['--labels=a=1,b=2', '--labels=c=3'], { labels: { a: '1', b: '2', c: '3' } }],
    [['--period=1m30s'], { period: 90_000 }],
    [['-n', 'y'], { name: 'y' }],
    [['-n=y'], { name: 'y' }],
    [['-n', '-'], { name: '-' }],
    [['--name', '-5'], { name: '-5' }],
  ])('%j', (argv, expected) => {
    expect(parseFlags(command, argv)).toMatchObject(expected);
  });

  it.each([
    [['--nope=1'], /unknown flag --nope/],
    [['--port=abc'], /invalid value "abc" for --port: not an integer; expected an integer 1-65535/],
    [['--port=0'], /--port: out of range/],
    [['--port'], /flag --port needs a value/],
    [['--cluster-dns=1.2.3'], /--cluster-dns: "1.2.3" is not an IP address/],
    [['--cluster-dns=198.18.0.1,198.18.0.2', '--cluster-dns=198.18.0.3,198.18.0.4'], /invalid --cluster-dns: at most 3 values, got 4/],
    [['--labels=novalue'], /--labels: "novalue" is not key=value/],
    [['stray'], /unexpected argument "stray"/],
    [['--period=10'], /--period: not a duration/],
    [['-x', 'y'], /unknown flag -x/],
    [['--name', '-n', 'y'], /flag --name needs a value/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseFlags(command, argv)).toThrow(UsageError);
    expect(() => parseFlags(command, argv)).toThrow(message);
  });
});

describe('parseDuration', () => {
  it.each([['500ms', 500], ['10s', 10_000], ['1h', 3_600_000], ['1.5s', 1500]])('%s', (raw, ms) => {
    expect(parseDuration(raw)).toBe(ms);
  });
});

describe('helpText', () => {
  it('lists every flag with its default', () => {
    const text = helpText(command);
    expect(text).toContain('--port=<value>');
    expect(text).toContain('default 10250');
    expect(text).toContain('--verbose\n');
    expect(text).toContain('  -n, --name=<value>\n');
  });
});

describe('formatDuration', () => {
  it.each([[0, '0s'], [500, '500ms'], [10_000, '10s'], [90_000, '1m30s'], [3_600_000, '1h']])('%d → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});

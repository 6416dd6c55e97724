// Properties of quantities, durations and flag parsing: every string is decided fast, refused
// only with the typed error, and what is accepted round-trips.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpuMillis, formatCpu, formatMemory, memoryBytes, parseQuantity, QuantityError } from '../../src/kube/quantity.ts';
import { formatDuration, parseDuration, parseFlags, UsageError, type Subcommand } from '../../src/flags/flags.ts';
import nodeCommand from '../../src/cli/node.ts';
import localCommand from '../../src/cli/local.ts';
import mockCciCommand from '../../src/cli/mock-cci.ts';
import sidecarCommand from '../../src/cli/sidecar.ts';
import { check, decided, hostileString } from './budget.ts';

const QUANTITY_ALPHABET = '0123456789.+-eEKMGTPinumk ';

describe('quantities', () => {
  it('any string is a quantity or a QuantityError, decided fast', () => {
    check(fc.property(hostileString(QUANTITY_ALPHABET), (s) => {
      decided(() => parseQuantity(s), QuantityError);
    }));
  });

  it('exponents far beyond int64 are refused without being computed', () => {
    check(fc.property(fc.integer({ min: 19, max: 2 ** 31 }), fc.constantFrom('e', 'E'), (exp, e) => {
      expect(decided(() => parseQuantity(`1${e}${exp}`), QuantityError)).toHaveProperty('refused');
    }));
  });

  it('millicores and bytes round-trip through their formats', () => {
    check(fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), (n) => {
      expect(cpuMillis(formatCpu(n))).toBe(n);
      expect(memoryBytes(formatMemory(n))).toBe(n);
    }));
  });

  it('parsing rounds up: never below the exact value', () => {
    check(fc.property(fc.integer({ min: 0, max: 10 ** 9 }), fc.integer({ min: 0, max: 6 }), (units, decimals) => {
      const text = (units / 10 ** decimals).toFixed(decimals);
      const milli = parseQuantity(text).milli;
      expect(milli * 10n ** BigInt(decimals)).toBeGreaterThanOrEqual(BigInt(units) * 1000n);
    }));
  });
});

describe('durations', () => {
  it('any string is a duration or an Error, decided fast', () => {
    check(fc.property(hostileString('0123456789.mshu '), (s) => {
      decided(() => parseDuration(s), Error);
    }));
  });

  it('formatDuration is read back to the same milliseconds', () => {
    check(fc.property(fc.integer({ min: 0, max: 10 * 86_400_000 }), (ms) => {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }));
  });
});

describe('flag parsing of every subcommand', () => {
  const commands: Subcommand[] = [nodeCommand, localCommand, mockCciCommand, sidecarCommand];
  const names = commands.flatMap((c) => Object.keys(c.flags));
  const arg = fc.oneof(
    fc.constantFrom(...names).map((n) => `--${n}`),
    fc.tuple(fc.constantFrom(...names), hostileString('0123456789abc.,=:/-smh ', 40)).map(([n, v]) => `--${n}=${v}`),
    hostileString('-=abc01.,: ', 40),
  );
  it('any argv is parsed or refused with a UsageError naming what was wrong', () => {
    check(fc.property(fc.constantFrom(...commands), fc.array(arg, { maxLength: 8 }), (command, argv) => {
      decided(() => parseFlags(command, argv), UsageError);
    }));
  });
});

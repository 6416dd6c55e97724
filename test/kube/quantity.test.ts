import { describe, expect, it } from 'vitest';
import { cpuMillis, divideQuantity, formatCpu, formatMemory, memoryBytes, parseQuantity, QuantityError } from '../../src/kube/quantity.ts';

describe('parseQuantity', () => {
  it.each([
    ['1', 1000n], ['250m', 250n], ['0.5', 500n], ['.5', 500n], ['1.', 1000n], ['+2', 2000n], ['-1', -1000n],
    ['1k', 1_000_000n], ['1M', 1_000_000_000n], ['1E', 10n ** 21n], ['1Ki', 1_024_000n], ['1Gi', 1_073_741_824_000n],
    ['1e3', 1_000_000n], ['1E3', 1_000_000n], ['1e-3', 1n], ['1e-4', 1n], ['1n', 1n], ['1u', 1n], ['0', 0n],
    ['0.1', 100n], ['1.5Gi', 1_610_612_736_000n], ['100m', 100n], ['2500u', 3n], ['12e+2', 1_200_000n],
  ])('%s → %s milli', (raw, milli) => {
    expect(parseQuantity(raw).milli).toBe(milli);
  });

  it.each(['', 'abc', '1.2.3', '1KB', '1ki', '1 Gi', 'Gi', '1e', '--1', '0x10'])('rejects %j', (raw) => {
    expect(() => parseQuantity(raw)).toThrow(/is not a Kubernetes quantity/);
  });
});

describe('cpuMillis / memoryBytes / divideQuantity', () => {
  it.each([
    ['cpu', '2', 2000n], ['cpu', '1500m', 1500n], ['cpu', '0.25', 250n],
    ['mem', '512Mi', 536_870_912n], ['mem', '1G', 1_000_000_000n], ['mem', '1.5k', 1500n], ['mem', '1m', 1n], ['mem', '129e6', 129_000_000n],
  ])('%s %s', (kind, raw, want) => {
    expect(kind === 'cpu' ? cpuMillis(raw) : memoryBytes(raw)).toBe(want);
  });

  it.each([
    ['500m', '1m', 500n], ['500m', '1', 1n], ['2', '1', 2n], ['1Gi', '1Mi', 1024n], ['1Gi', '1', 1_073_741_824n], ['1500Mi', '1Gi', 2n],
  ])('%s / %s = %s (rounded up)', (q, d, want) => {
    expect(divideQuantity(q, d)).toBe(want);
  });

  it('refuses a zero divisor', () => {
    expect(() => divideQuantity('1', '0')).toThrow(/must be positive/);
  });
});

describe('formatting', () => {
  it.each([[536_870_912n, '512Mi'], [4n * 2n ** 30n, '4Gi'], [1024n, '1Ki'], [1000n, '1000'], [0n, '0'], [2n ** 60n, '1Ei'], [1536n * 2n ** 20n, '1536Mi']])(
    'formatMemory(%s) = %s', (bytes, want) => {
      expect(formatMemory(bytes)).toBe(want);
    });
  it.each([[2000n, '2'], [250n, '250m'], [0n, '0'], [1500n, '1500m']])('formatCpu(%s) = %s', (milli, want) => {
    expect(formatCpu(milli)).toBe(want);
  });
});

describe('bounds (issue #12 item 7: "1e999999999" blocked the event loop for 21 s)', () => {
  it.each(['1e999999999', '9'.repeat(40), '1e23', '8Ei', '9223372036854775808', '-1e999999999', '1e-999999999999999999999'])('%j parses or is refused in bounded time', (raw) => {
    const started = performance.now();
    try {
      parseQuantity(raw);
    } catch (err) {
      expect(err).toBeInstanceOf(QuantityError);
    }
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it.each(['1e999999999', '-1e999999999', '1e23', '8Ei', '9223372036854775808', '1' + '0'.repeat(200)])('refuses %j, which no flavor (nor an int64) can hold', (raw) => {
    expect(() => parseQuantity(raw)).toThrow(QuantityError);
  });

  it.each([
    ['7Ei', 7n * 2n ** 60n * 1000n], ['9223372036854775807', 9223372036854775807000n], ['-9223372036854775807', -9223372036854775807000n],
    ['1e-999999999', 1n], ['-1e-999999999', 0n], ['0e999999999', 0n], ['0.000e99', 0n], ['00000000000000000000000001', 1000n],
  ])('%s → %s milli (largest int64 value, tiny values round up)', (raw, milli) => {
    expect(parseQuantity(raw).milli).toBe(milli);
  });
});

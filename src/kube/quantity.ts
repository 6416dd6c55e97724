// Kubernetes resource quantities ("250m", "1.5Gi", "2e3"), parsed exactly with bigint
// arithmetic: no floating point, so "0.1" + "0.2" CPUs is exactly 300 millicores.
// Rounding follows apimachinery's resource.Quantity: MilliValue() and Value() round up.

const BINARY: Record<string, bigint> = { Ki: 10n, Mi: 20n, Gi: 30n, Ti: 40n, Pi: 50n, Ei: 60n };
const DECIMAL: Record<string, bigint> = { n: -9n, u: -6n, m: -3n, '': 0n, k: 3n, M: 6n, G: 9n, T: 12n, P: 15n, E: 18n };

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

export interface Quantity {
  /** The value in thousandths, rounded up (towards +infinity), as Kubernetes' MilliValue(). */
  milli: bigint;
}

/** Ceiling of num/den for den > 0. */
function ceilDiv(num: bigint, den: bigint): bigint {
  const q = num / den;
  return num % den > 0n ? q + 1n : q;
}

/** A string that is not a quantity, or one too large to hold: the only error parseQuantity throws. */
export class QuantityError extends Error {
  override name = 'QuantityError';
}

/** Longer strings are not quantities anyone writes; refusing them keeps the bigint work small. */
const MAX_LENGTH = 128;
/**
 * The largest magnitude accepted: Value() as an int64, as apimachinery's Quantity holds it. No
 * CCI flavor (64 CPU, 512 GiB) or quota comes near it; beyond it a pod is refused, not rounded.
 */
const MAX_MILLI = (2n ** 63n - 1n) * 1000n;
const MAX_MILLI_DIGITS = MAX_MILLI.toString().length;

/**
 * Parses a quantity in time bounded by its (bounded) length: the exponent is checked against
 * the number of digits before any power of ten is computed, so "1e999999999" is refused at
 * once rather than built. Throws QuantityError naming the accepted form.
 */
export function parseQuantity(raw: string): Quantity {
  const text = raw.trim();
  const m = text.length <= MAX_LENGTH ? QUANTITY.exec(text) : null;
  if (!m) throw new QuantityError(`${JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw)} is not a Kubernetes quantity (expected e.g. 250m, 1.5, 512Mi, 2Gi, 1e3)`);
  const [, sign, number, suffix = ''] = m;
  const [whole = '', fraction = ''] = number!.split('.');
  const digits = `${whole}${fraction}`.replace(/^0+/, '');
  if (digits === '') return { milli: 0n };
  let pow10 = 3n - BigInt(fraction.length); // to thousandths, the fraction's digits moved left
  let num = BigInt(digits);
  if (suffix in BINARY) num *= 2n ** BINARY[suffix]!;
  else if (suffix in DECIMAL) pow10 += DECIMAL[suffix]!;
  else pow10 += BigInt(suffix.slice(1));
  const tooLarge = (): QuantityError => new QuantityError(`${JSON.stringify(raw)} is too large: a quantity must be at most 2^63-1 (9223372036854775807)`);
  const magnitude = BigInt(num.toString().length) + pow10; // the integer part has about this many digits
  if (magnitude > BigInt(MAX_MILLI_DIGITS)) throw tooLarge();
  let milli: bigint;
  if (pow10 >= 0n) milli = num * 10n ** pow10;
  // Far below one thousandth: the exact value only matters for its sign (rounded up: 1 or 0).
  else if (magnitude < 0n) milli = sign === '-' ? 0n : 1n;
  else milli = sign === '-' ? -(num / 10n ** -pow10) : ceilDiv(num, 10n ** -pow10);
  if (pow10 >= 0n && sign === '-') milli = -milli;
  if (milli > MAX_MILLI || milli < -MAX_MILLI) throw tooLarge();
  return { milli: milli === 0n ? 0n : milli };
}

/** CPU in millicores, rounded up ("100m" → 100n, "0.5" → 500n, "1u" → 1n). */
export function cpuMillis(raw: string): bigint {
  return parseQuantity(raw).milli;
}

/** Bytes, rounded up to a whole byte ("1Gi" → 1073741824n, "1.5k" → 1500n). */
export function memoryBytes(raw: string): bigint {
  return ceilDiv(parseQuantity(raw).milli, 1000n);
}

/** Value() of the quantity divided by a divisor quantity, rounded up, as the downward API does. */
export function divideQuantity(raw: string, divisor: string): bigint {
  const d = parseQuantity(divisor).milli;
  if (d <= 0n) throw new QuantityError(`divisor ${JSON.stringify(divisor)} must be positive`);
  return ceilDiv(parseQuantity(raw).milli, d);
}

/** Canonical memory notation: the largest binary suffix that divides exactly, else plain bytes. */
export function formatMemory(bytes: bigint): string {
  for (const suffix of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki']) {
    const unit = 2n ** BINARY[suffix]!;
    if (bytes !== 0n && bytes % unit === 0n) return `${bytes / unit}${suffix}`;
  }
  return `${bytes}`;
}

/** Canonical CPU notation: whole cores when exact ("2"), else millicores ("250m"). */
export function formatCpu(milli: bigint): string {
  return milli % 1000n === 0n ? `${milli / 1000n}` : `${milli}m`;
}

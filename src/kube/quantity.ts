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

/** Parses a quantity; throws Error naming the accepted form when it is not one. */
export function parseQuantity(raw: string): Quantity {
  const m = QUANTITY.exec(raw.trim());
  if (!m) throw new Error(`${JSON.stringify(raw)} is not a Kubernetes quantity (expected e.g. 250m, 1.5, 512Mi, 2Gi, 1e3)`);
  const [, sign, number, suffix = ''] = m;
  const [whole = '', fraction = ''] = number!.split('.');
  let num = BigInt(`${whole}${fraction}` || '0');
  let den = 10n ** BigInt(fraction.length);
  let pow10 = 0n;
  if (suffix in BINARY) num *= 2n ** BINARY[suffix]!;
  else if (suffix in DECIMAL) pow10 = DECIMAL[suffix]!;
  else pow10 = BigInt(suffix.slice(1));
  pow10 += 3n; // to thousandths
  if (pow10 >= 0n) num *= 10n ** pow10;
  else den *= 10n ** -pow10;
  if (sign === '-') num = -num;
  return { milli: ceilDiv(num, den) };
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
  if (d <= 0n) throw new Error(`divisor ${JSON.stringify(divisor)} must be positive`);
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

// Quantities as Kubernetes and the JVM write them, parsed exactly.
// Kubernetes: k8s.io/apimachinery/pkg/api/resource (quantity.go) — <sign><digits>[.<digits>]<suffix>,
// suffix one of the binary SI (Ki…Ei), decimal SI (n u m "" k M G T P E) or an exponent (e3, E-2).
// The JVM: -Xmx/-XX:MaxHeapSize=/-XX:MaxRAM= take whole numbers with an optional k/m/g/t suffix
// (either case, powers of 1024).

/** An exact value: numerator / denominator (denominator > 0). Floats would turn 0.1Gi into noise. */
export interface ExactQuantity {
  numerator: bigint;
  denominator: bigint;
}

const BINARY: Record<string, bigint> = {
  Ki: 1024n, Mi: 1024n ** 2n, Gi: 1024n ** 3n, Ti: 1024n ** 4n, Pi: 1024n ** 5n, Ei: 1024n ** 6n,
};
const DECIMAL_EXPONENT: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

const QUANTITY = /^([+-]?)(\d+\.?\d*|\.\d+)(.*)$/;

/** Parses a Kubernetes quantity ("1.5Gi", "500m", "1e3", "2"); undefined if it is not one. */
export function parseQuantity(input: string | number | undefined | null): ExactQuantity | undefined {
  if (input === undefined || input === null) return undefined;
  const text = typeof input === 'number' ? numberText(input) : input.trim();
  if (text === undefined) return undefined;
  const m = QUANTITY.exec(text);
  if (!m) return undefined;
  const [, sign, digits, suffix] = m as unknown as [string, string, string, string];
  const [whole, fraction = ''] = digits.split('.');
  let numerator = BigInt((whole || '0') + fraction);
  let denominator = 10n ** BigInt(fraction.length);
  if (sign === '-') numerator = -numerator;

  let exponent: number;
  // Own keys only: a suffix like "constructor" or "toString" is text from a manifest or a snapshot.
  if (Object.hasOwn(BINARY, suffix)) {
    numerator *= BINARY[suffix]!;
    exponent = 0;
  } else if (Object.hasOwn(DECIMAL_EXPONENT, suffix)) {
    exponent = DECIMAL_EXPONENT[suffix]!;
  } else {
    const e = /^[eE]([+-]?\d+)$/.exec(suffix);
    if (!e) return undefined;
    exponent = Number(e[1]);
    if (Math.abs(exponent) > 100) return undefined; // Kubernetes caps scale too; nothing real is this big
  }
  if (exponent > 0) numerator *= 10n ** BigInt(exponent);
  if (exponent < 0) denominator *= 10n ** BigInt(-exponent);
  return reduce(numerator, denominator);
}

/** The value rounded away from zero to a whole number, as Quantity.Value() does (bytes, counts). */
export const quantityValue = remembered((q) => Number(ceilAway(q.numerator, q.denominator)));

/** The value in thousandths rounded away from zero, as Quantity.MilliValue() does (millicores). */
export const quantityMilliValue = remembered((q) => Number(ceilAway(q.numerator * 1000n, q.denominator)));

/** The value as a (possibly inexact) float, for ratios. */
export const quantityNumber = remembered((q) => Number(q.numerator) / Number(q.denominator));

/** A cluster writes the same few quantities ("100m", "512Mi") in every pod, and each parse is BigInt
 * arithmetic (~1 µs): at 150k pods the checks parsed them hundreds of thousands of times (issue 14).
 * Values are kept by text; past 10,000 different texts the memory starts over. */
function remembered(value: (q: ExactQuantity) => number): (input: string | number | undefined | null) => number | undefined {
  const known = new Map<string, number | undefined>();
  const compute = (input: string | number | undefined | null) => {
    const q = parseQuantity(input);
    return q && value(q);
  };
  return (input) => {
    if (typeof input !== 'string') return compute(input);
    const v = known.get(input);
    if (v !== undefined || known.has(input)) return v;
    if (known.size >= 10_000) known.clear();
    const computed = compute(input);
    known.set(input, computed);
    return computed;
  };
}

const JVM_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Parses a JVM size ("512m", "2G", "1073741824") to bytes; undefined if the JVM would reject it. */
export function parseJvmSize(text: string): number | undefined {
  const m = /^(\d+)([kKmMgGtT]?)$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * JVM_UNITS[m[2]!.toLowerCase()]!;
}

/** Bytes for a person: "512 MiB", "1.5 GiB", "300 B". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let i = 0;
  while (Math.abs(value) >= 1024 && i < units.length - 1) { value /= 1024; i++; }
  const shown = Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 2 : 1).replace(/\.?0+$/, '');
  return `${shown} ${units[i]}`;
}

function numberText(n: number): string | undefined {
  if (!Number.isFinite(n)) return undefined;
  return String(n).replace('e+', 'e'); // 1e+21 → 1e21
}

function reduce(numerator: bigint, denominator: bigint): ExactQuantity {
  const g = gcd(numerator < 0n ? -numerator : numerator, denominator);
  return g > 1n ? { numerator: numerator / g, denominator: denominator / g } : { numerator, denominator };
}

function gcd(a: bigint, b: bigint): bigint {
  while (b) [a, b] = [b, a % b];
  return a || 1n;
}

function ceilAway(numerator: bigint, denominator: bigint): bigint {
  const q = numerator / denominator; // truncates toward zero
  if (q * denominator === numerator) return q;
  return numerator < 0n ? q - 1n : q + 1n;
}

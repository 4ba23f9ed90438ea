/**
 * Exact prices: integers of 1e-9 units, the same scale as DBN prices, so a price read
 * from the feed, the database or a request compares exactly with no float rounding.
 */
export const SCALE = 1_000_000_000n;
const SCALE_DIGITS = 9;
const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

export class FixedPointError extends Error {
  override name = "FixedPointError";
}

const FAST_LIMIT = 2 ** 52 / 1e9;

/** Parses "5012.25", "-0.1", "7" into 1e-9 units; more than 9 decimals is an error, not a rounding. */
export function parseFixed(text: string): bigint {
  const m = DECIMAL.exec(text.trim());
  if (!m) throw new FixedPointError(`not a decimal number: "${text}"`);
  const [, sign, whole, frac = ""] = m;
  const trimmed = frac.replace(/0+$/, "");
  if (trimmed.length > SCALE_DIGITS) throw new FixedPointError(`more than ${SCALE_DIGITS} decimals: "${text}"`);
  const units = BigInt(whole!) * SCALE + BigInt(trimmed.padEnd(SCALE_DIGITS, "0") || "0");
  return sign ? -units : units;
}

/**
 * A JSON number becomes its shortest round-trip decimal text first (5012.25 → "5012.25"),
 * which is exactly what the sender wrote, then is parsed exactly.
 */
export function fixedFromNumber(n: number): bigint {
  if (!Number.isFinite(n)) throw new FixedPointError(`not a finite number: ${n}`);
  // Fast path, same answer: below 2^52 units n × 1e9 rounds to the right integer D. If D / 1e9
  // is n and neither neighbour is, D / 1e9 is the only 9-decimal value whose double is n, so
  // the shortest text of n (what the sender wrote) is exactly that value.
  if (n < FAST_LIMIT && n > -FAST_LIMIT) {
    const d = Math.round(n * 1e9);
    if (d / 1e9 === n && (d + 1) / 1e9 !== n && (d - 1) / 1e9 !== n) return BigInt(d);
  }
  let text = String(n);
  if (/e/i.test(text)) text = n.toFixed(SCALE_DIGITS);
  return parseFixed(text);
}

/** "5012.25" — no trailing zeros; `minDecimals` pads for display (e.g. 2 for CL). */
export function formatFixed(units: bigint, minDecimals = 0): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const whole = abs / SCALE;
  let frac = (abs % SCALE).toString().padStart(SCALE_DIGITS, "0").replace(/0+$/, "");
  if (frac.length < minDecimals) frac = frac.padEnd(minDecimals, "0");
  return `${negative ? "-" : ""}${whole}${frac ? "." + frac : ""}`;
}

const EXACT = 2n ** 53n;

/**
 * For JSON answers and charts only; never compare the result for a fill. Below 2^53 units the
 * integer is exact as a double and IEEE division rounds correctly, so units / 1e9 is the double
 * nearest the decimal value — the same number its text would parse to, without building it.
 */
export function fixedToNumber(units: bigint): number {
  return units < EXACT && units > -EXACT ? Number(units) / 1e9 : Number(formatFixed(units));
}

export function isMultipleOf(units: bigint, step: bigint): boolean {
  return step > 0n && units % step === 0n;
}

/**
 * A hot-path price (a JS number of 1e-9 units, market-data's `Nanos`) in points, for JSON and
 * display: the same correctly rounded division as fixedToNumber, without a BigInt per price.
 */
export function nanosToPoints(nanos: number): number {
  return nanos / 1e9;
}

/** Points (a catalogue's start price, a browser's number) as a hot-path price in 1e-9 units. */
export function pointsToNanos(points: number): number {
  return points * 1e9;
}

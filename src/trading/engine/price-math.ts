import type { Nanos, Side, Target } from "./types";

/** Price arithmetic on the tick grid, in exact integers of 1e-9. */

export const floorTick = (p: Nanos, tick: Nanos): Nanos => Math.floor(p / tick) * tick;
export const ceilTick = (p: Nanos, tick: Nanos): Nanos => Math.ceil(p / tick) * tick;
export const onTick = (p: Nanos, tick: Nanos): boolean => Number.isSafeInteger(p) && p % tick === 0;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Exact average entry as a tick-valid reference: rounded against the trader (up for a long). */
export function entryRef(side: Side, cost: bigint, qty: number, tick: Nanos): Nanos {
  if (cost >= 0n && cost <= MAX_SAFE) {
    // Every product below stays under 2^53, so doubles are exact; the quotient is corrected by one.
    const c = Number(cost);
    const d = qty * tick;
    let u = Math.floor(c / d);
    if (u * d > c) u--;
    else if ((u + 1) * d <= c) u++;
    if (side === "long" && u * d < c) u++;
    return u * tick;
  }
  const q = BigInt(qty);
  const t = BigInt(tick);
  // ceil/floor of cost / (qty × tick), then × tick, all in integers.
  const units = side === "long" ? (cost + q * t - 1n) / (q * t) : cost / (q * t);
  return Number(units * t);
}

/** Σ price × contracts ÷ contracts, rounded to the nearest 1e-9 (half up), not truncated. */
export function averageNearest(cost: bigint, qty: number): bigint {
  const q = BigInt(Math.max(1, qty));
  return (cost * 2n + q) / (2n * q);
}

/** A distance in price units, at least the one asked (rounded up to whole ticks). */
export function distanceOf(target: Target, tick: Nanos): Nanos | undefined {
  if (target.unit === "ticks") return target.value * tick;
  if (target.unit === "points") return ceilTick(target.value, tick);
  return undefined;
}

/** A take-profit price: beyond the entry on the profit side, on the grid. */
export function profitPrice(side: Side, ref: Nanos, target: Target, tick: Nanos): Nanos {
  if (target.unit === "price") return target.value;
  const d = distanceOf(target, tick)!;
  return side === "long" ? ref + d : ref - d;
}

/** A stop price a distance away on the losing side. */
export function lossPrice(side: Side, ref: Nanos, distance: Nanos): Nanos {
  return side === "long" ? ref - distance : ref + distance;
}

/** True when `a` is better than `b` for a stop protecting `side` (higher for a long). */
export const betterStop = (side: Side, a: Nanos, b: Nanos): boolean => (side === "long" ? a > b : a < b);

/** Formatted prices by decimals: event texts repeat the same few hundred prices. */
const formatted: Map<number, string>[] = [];
const FORMATTED_MAX = 8192;

export function formatPrice(p: Nanos, decimals: number): string {
  const cache = (formatted[decimals] ??= new Map());
  let text = cache.get(p);
  if (text === undefined) {
    if (cache.size >= FORMATTED_MAX) cache.clear();
    cache.set(p, (text = formatPriceText(p, decimals)));
  }
  return text;
}

function formatPriceText(p: Nanos, decimals: number): string {
  const neg = p < 0;
  const abs = neg ? -p : p;
  const whole = Math.floor(abs / 1e9);
  // Trailing zeros of the nine fraction digits go, down to `decimals` digits (arithmetic, no regex:
  // every event text carries prices).
  let frac = abs - whole * 1e9;
  let digits = 9;
  while (digits > decimals && frac % 10 === 0) {
    frac /= 10;
    digits--;
  }
  const sign = neg ? "-" : "";
  if (digits === 0) return `${sign}${whole}`;
  let shown = String(frac);
  if (shown.length < digits) shown = ZEROS.slice(0, digits - shown.length) + shown;
  return `${sign}${whole}.${shown}`;
}
const ZEROS = "000000000000000000";

export function formatTarget(t: Target, decimals: number): string {
  if (t.unit === "ticks") return `${t.value} ticks`;
  if (t.unit === "points") return `${formatPrice(t.value, 0)} pts`;
  return `@ ${formatPrice(t.value, decimals)}`;
}

/** 1e-9 dollars → "$1,234.56" (rounded half away from zero to the cent). */
export function formatDollars(nanoDollars: bigint): string {
  const neg = nanoDollars < 0n;
  const abs = neg ? -nanoDollars : nanoDollars;
  let cents: number;
  // Below $1,000,000 the division is exact in a double (quotient < 2^27, error < 1e-8 of a cent).
  if (abs < 1_000_000_000_000_000n) cents = Math.floor((Number(abs) + 5_000_000) / 10_000_000);
  else return bigDollars(neg, abs);
  const whole = Math.floor(cents / 100);
  const c = cents - whole * 100;
  return `${neg ? "-" : ""}$${group(String(whole))}.${c < 10 ? "0" : ""}${c}`;
}

function bigDollars(neg: boolean, abs: bigint): string {
  const cents = (abs + 5_000_000n) / 10_000_000n;
  return `${neg ? "-" : ""}$${group(String(cents / 100n))}.${String(cents % 100n).padStart(2, "0")}`;
}

function group(digits: string): string {
  if (digits.length <= 3) return digits;
  let out = "";
  for (let i = digits.length; i > 0; i -= 3) out = digits.slice(Math.max(0, i - 3), i) + (out ? "," + out : "");
  return out;
}

import { describe, expect, test } from "bun:test";
import { entryRef, formatDollars, formatPrice } from "./price-math";

/** Plain string arithmetic on BigInt: slow and obviously right, to check the fast versions against. */
function refPrice(p: number, decimals: number): string {
  const v = BigInt(p);
  const neg = v < 0n;
  const abs = neg ? -v : v;
  let frac = String(abs % 1_000_000_000n)
    .padStart(9, "0")
    .replace(/0+$/, "");
  if (frac.length < decimals) frac = frac.padEnd(decimals, "0");
  return `${neg ? "-" : ""}${abs / 1_000_000_000n}${frac ? "." + frac : ""}`;
}
function refDollars(n: bigint): string {
  const neg = n < 0n;
  const cents = ((neg ? -n : n) + 5_000_000n) / 10_000_000n;
  const whole = (cents / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${neg ? "-" : ""}$${whole}.${String(cents % 100n).padStart(2, "0")}`;
}

describe("formatPrice", () => {
  test("examples", () => {
    expect(formatPrice(5000_250_000_000, 2)).toBe("5000.25");
    expect(formatPrice(5000_000_000_000, 2)).toBe("5000.00");
    expect(formatPrice(5000_000_000_000, 0)).toBe("5000");
    expect(formatPrice(1_500_000_000, 0)).toBe("1.5");
    expect(formatPrice(61_230_000_000, 2)).toBe("61.23");
    expect(formatPrice(3_000_000, 2)).toBe("0.003");
    expect(formatPrice(-250_000_000, 2)).toBe("-0.25");
    expect(formatPrice(1, 2)).toBe("0.000000001");
    expect(formatPrice(0, 2)).toBe("0.00");
  });
  test("matches the BigInt reference on random prices and every decimals setting", () => {
    let s = 7;
    for (let i = 0; i < 20_000; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const scale = [1, 1_000, 1_000_000, 250_000_000, 1_000_000_000][s % 5]!;
      const p = (s % 2 ? 1 : -1) * Math.floor(((s >>> 3) / 2 ** 29) * 9_000_000) * scale;
      const d = (s >>> 7) % 5;
      expect(formatPrice(p, d)).toBe(refPrice(p, d));
    }
  });
});

describe("formatDollars", () => {
  test("examples", () => {
    expect(formatDollars(0n)).toBe("$0.00");
    expect(formatDollars(1_234_560_000_000n)).toBe("$1,234.56");
    expect(formatDollars(-5_000_000n)).toBe("-$0.01");
    expect(formatDollars(4_999_999n)).toBe("$0.00");
    expect(formatDollars(999_999_994_999_999n)).toBe("$999,999.99");
    expect(formatDollars(999_999_995_000_000n)).toBe("$1,000,000.00");
    expect(formatDollars(123_456_789_012_345_678_901n)).toBe("$123,456,789,012.35");
  });
  test("matches the BigInt reference across the fast path's edge", () => {
    let s = 11;
    for (let i = 0; i < 20_000; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const mag = 10n ** BigInt(s % 20);
      const n = (BigInt(s >>> 4) * mag + BigInt(s % 10_000_000)) * (s % 3 ? 1n : -1n);
      expect(formatDollars(n)).toBe(refDollars(n));
    }
    for (const edge of [
      999_999_999_999_999n,
      1_000_000_000_000_000n,
      10_000_000n * 12_345n - 5_000_001n,
      10_000_000n * 12_345n - 5_000_000n,
    ]) {
      expect(formatDollars(edge)).toBe(refDollars(edge));
      expect(formatDollars(-edge)).toBe(refDollars(-edge));
    }
  });
});

describe("entryRef", () => {
  /** The BigInt formula, the only path before the double fast path. */
  function refEntry(side: "long" | "short", cost: bigint, qty: number, tick: number): number {
    const q = BigInt(qty);
    const t = BigInt(tick);
    return Number((side === "long" ? (cost + q * t - 1n) / (q * t) : cost / (q * t)) * t);
  }
  test("rounds the average against the trader, exactly, on both paths", () => {
    expect(entryRef("long", 3n * 5000_250_000_000n + 250_000_000n, 3, 250_000_000)).toBe(5000_500_000_000);
    expect(entryRef("short", 3n * 5000_250_000_000n + 250_000_000n, 3, 250_000_000)).toBe(5000_250_000_000);
    // Above 2^53 (a large position in a high-priced contract): the BigInt path.
    for (const cost of [10n ** 17n + 1n, 9_007_199_254_740_993n]) {
      for (const side of ["long", "short"] as const)
        expect(entryRef(side, cost, 7, 250_000_000)).toBe(refEntry(side, cost, 7, 250_000_000));
    }
    let s = 3;
    for (let i = 0; i < 20_000; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const tick = [250_000_000, 10_000_000, 100_000_000, 5_000_000, 1][s % 5]!;
      const qty = 1 + ((s >>> 5) % 400);
      const big = (s >>> 9) % 4 === 0;
      const cost =
        BigInt(qty) * BigInt(Math.floor(((s >>> 11) / 2 ** 21) * 30_000) * tick) +
        BigInt((s >>> 3) % (qty * 7)) * (big ? 10n ** 12n : 1n);
      for (const side of ["long", "short"] as const)
        expect(entryRef(side, cost, qty, tick)).toBe(refEntry(side, cost, qty, tick));
    }
  });
});

import { describe, expect, test } from "bun:test";
import { fixedFromNumber, fixedToNumber, formatFixed, isMultipleOf, parseFixed, SCALE } from "./fixed-point";

describe("fixed point", () => {
  test("parses decimals exactly", () => {
    expect(parseFixed("5012.25")).toBe(5012_250_000_000n);
    expect(parseFixed("0.01")).toBe(10_000_000n);
    expect(parseFixed("-3")).toBe(-3n * SCALE);
    expect(parseFixed("1.100000000")).toBe(1_100_000_000n);
  });
  test("rejects what is not a plain decimal or needs rounding", () => {
    for (const bad of ["", "1e3", "abc", "1.0000000001", "--1", "1.", ".5"]) {
      expect(() => parseFixed(bad)).toThrow();
    }
  });
  test("JSON numbers keep the value the sender wrote", () => {
    expect(() => fixedFromNumber(0.1 + 0.2)).toThrow(); // the float is 0.30000000000000004: refused, not rounded
    expect(fixedFromNumber(71.37)).toBe(parseFixed("71.37"));
    expect(fixedFromNumber(2035.1)).toBe(parseFixed("2035.1"));
    expect(fixedFromNumber(1e-7)).toBe(100n);
    expect(() => fixedFromNumber(Number.NaN)).toThrow();
    expect(() => fixedFromNumber(Infinity)).toThrow();
  });
  test("formats and converts back", () => {
    expect(formatFixed(5012_250_000_000n)).toBe("5012.25");
    expect(formatFixed(-10_000_000n, 2)).toBe("-0.01");
    expect(formatFixed(7n * SCALE, 2)).toBe("7.00");
    expect(fixedToNumber(parseFixed("4321.75"))).toBe(4321.75);
  });
  test("from a JSON number: the fast path gives what the text of the number gives, or refuses alike", () => {
    const viaText = (n: number) => {
      let t = String(n);
      if (/e/i.test(t)) t = n.toFixed(9);
      try {
        return parseFixed(t);
      } catch {
        return "refused";
      }
    };
    const fast = (n: number) => {
      try {
        return fixedFromNumber(n);
      } catch {
        return "refused";
      }
    };
    let seed = 11;
    const rnd = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const cases = [
      0,
      -0,
      1e-9,
      1e-10,
      5e-10,
      1e-7,
      0.1 + 0.2,
      4503599.627370496,
      4503599.627370497,
      999_999.999999999,
      1e6,
      8e6 + 1e-9,
      2 ** 53,
      1e21,
    ];
    for (let i = 0; i < 20_000; i++) {
      const digits = Math.floor(rnd() * 12);
      const whole = Math.floor(rnd() * 10 ** Math.floor(rnd() * 8));
      cases.push(
        Number(`${rnd() < 0.2 ? "-" : ""}${whole}.${String(Math.floor(rnd() * 10 ** digits)).padStart(digits, "0")}`),
      );
      cases.push((rnd() - 0.5) * 10 ** Math.floor(rnd() * 14 - 4));
    }
    for (const n of cases) expect(fast(n)).toEqual(viaText(n));
  });
  test("to a JSON number: the same double as parsing its decimal text, quickly or not", () => {
    // Seeded walk over magnitudes, tick-like values and the edges of the fast path (2^53 units).
    let seed = 7;
    const rnd = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const cases = [0n, 1n, -1n, 2n ** 53n - 1n, -(2n ** 53n - 1n), 2n ** 53n, 2n ** 60n + 123n, -(2n ** 61n)];
    for (let i = 0; i < 20_000; i++) {
      cases.push(BigInt(Math.floor(rnd() * 2 ** 53)) * (rnd() < 0.5 ? -1n : 1n));
      cases.push(BigInt(Math.floor(rnd() * 1e7)) * 10_000_000n);
    }
    for (const u of cases) expect(fixedToNumber(u)).toBe(Number(formatFixed(u)));
  });
  test("tick grid", () => {
    const tick = parseFixed("0.25");
    expect(isMultipleOf(parseFixed("5012.75"), tick)).toBe(true);
    expect(isMultipleOf(parseFixed("5012.3"), tick)).toBe(false);
    expect(isMultipleOf(parseFixed("1"), 0n)).toBe(false);
  });
});

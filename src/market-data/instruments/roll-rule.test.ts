import { describe, expect, test } from "bun:test";
import { continuousSymbol, nextResubscribeMs, parseRollRules } from "./roll-rule";
import { exchangeTime } from "./trading-hours";

describe("roll rules", () => {
  test("volume by default; a default and per-symbol exceptions; unknown rules and symbols refused", () => {
    const roots = ["ES", "GC", "SI"];
    expect(continuousSymbol(parseRollRules("", roots), "ES")).toBe("ES.v.0");
    const r = parseRollRules("calendar, GC:open-interest", roots);
    expect([continuousSymbol(r, "ES"), continuousSymbol(r, "GC")]).toEqual(["ES.c.0", "GC.n.0"]);
    expect(() => parseRollRules("liquidity", roots)).toThrow(/not a roll rule/);
    expect(() => parseRollRules("XX:volume", roots)).toThrow(/unknown symbol XX/);
  });

  test("the identical re-subscription is due a minute after Globex reopens, every day, DST included", () => {
    for (const now of [Date.UTC(2026, 0, 14, 12), Date.UTC(2026, 6, 14, 23, 30), Date.UTC(2026, 2, 8, 20)]) {
      const at = nextResubscribeMs(now);
      const t = exchangeTime(at);
      expect([t.hour, t.minute]).toEqual([17, 1]);
      expect(at > now && at - now <= 24 * 3_600_000).toBe(true);
    }
  });
});

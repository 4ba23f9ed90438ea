import { describe, expect, test } from "bun:test";
import { buildPageBundles } from "../web/page-bundles";
import * as f from "./format";

// 2026-07-01 13:05:09 UTC is 08:05:09 in Chicago (CDT, UTC-5); 2026-01-15 18:00:00 UTC is 12:00:00 (CST, UTC-6).
const SUMMER = Date.UTC(2026, 6, 1, 13, 5, 9);
const WINTER = Date.UTC(2026, 0, 15, 18, 0, 0);

describe("the pages' formatting rules", () => {
  test("exchange time, DST included", () => {
    expect(f.ctStamp(SUMMER)).toBe("2026-07-01 08:05:09");
    expect(f.ctTime(WINTER)).toBe("2026-01-15 12:00:00 CT");
    expect(f.ctMinute(SUMMER)).toBe("2026-07-01 08:05");
    expect(f.ctMinute(new Date(WINTER))).toBe("2026-01-15 12:00");
    expect(f.ctShort(SUMMER)).toBe("2026-07-01, 08:05");
    expect(f.ctMonthDayMinute(new Date(WINTER))).toBe("01-15, 12:00");
    expect(f.ctClock(SUMMER)).toBe("08:05:09");
    expect([f.ctHour(SUMMER), f.ctHour(new Date(WINTER)), f.ctHour(Date.UTC(2026, 6, 1, 22, 0, 0))]).toEqual([
      8, 12, 17,
    ]);
  });

  test("money, tone and countdown", () => {
    expect([f.money(1234.5), f.money(-0.004), f.money(0), f.money(null), f.money(undefined)]).toEqual([
      "$1,234.50",
      "-$0.00", // as the pages always wrote it: the sign of the figure, not of its rounding
      "$0.00",
      "—",
      "—",
    ]);
    expect(f.money(-12)).toBe("-$12.00");
    expect([f.tone(3), f.tone(-1), f.tone(0), f.tone(null)]).toEqual(["long", "short", "", ""]);
    expect([f.countdown(125_400, 0), f.countdown(0, 5_000), f.countdown(59_600, 0)]).toEqual(["2:05", "0:00", "1:00"]);
  });

  test("the browser's module is the same rules", async () => {
    const url = URL.createObjectURL(
      new Blob([(await buildPageBundles())["/static/js/format.js"]!], { type: "text/javascript" }),
    );
    const browser = await import(url);
    const server = f;
    for (const at of [SUMMER, WINTER, 0])
      for (const name of ["ctStamp", "ctTime", "ctMinute", "ctShort", "ctMonthDayMinute", "ctClock", "ctHour"] as const)
        expect(browser[name](at)).toBe(server[name](at));
    expect([browser.money(-1234.5), browser.tone(2), browser.countdown(61_000, 0)]).toEqual([
      "-$1,234.50",
      "long",
      "1:01",
    ]);
  });
});

import { describe, expect, test } from "bun:test";
import { exchangeTime, fromExchangeTime, nextClose, nextOpen, sessionState, tradeDate } from "./trading-hours";

const ct = (y: number, mo: number, d: number, h: number, mi = 0) => fromExchangeTime(y, mo, d, h, mi);
const iso = (ms: number) => new Date(ms).toISOString();

describe("Globex hours in exchange time", () => {
  test("CST and CDT offsets come from the exchange's zone", () => {
    expect(iso(ct(2025, 1, 15, 8, 30))).toBe("2025-01-15T14:30:00.000Z"); // CST, UTC-6
    expect(iso(ct(2025, 7, 15, 8, 30))).toBe("2025-07-15T13:30:00.000Z"); // CDT, UTC-5
    expect(exchangeTime(Date.parse("2025-07-15T13:30:00Z"))).toMatchObject({ hour: 8, minute: 30, weekday: 2 });
  });

  test("open, daily break and weekend", () => {
    expect(sessionState(ct(2025, 11, 19, 10))).toBe("open"); // Wednesday morning
    expect(sessionState(ct(2025, 11, 19, 16, 0))).toBe("daily-break");
    expect(sessionState(ct(2025, 11, 19, 16, 59))).toBe("daily-break");
    expect(sessionState(ct(2025, 11, 19, 17, 0))).toBe("open");
    expect(sessionState(ct(2025, 11, 21, 15, 59))).toBe("open"); // Friday before close
    expect(sessionState(ct(2025, 11, 21, 16, 0))).toBe("weekend");
    expect(sessionState(ct(2025, 11, 22, 12))).toBe("weekend"); // Saturday
    expect(sessionState(ct(2025, 11, 23, 16, 59))).toBe("weekend"); // Sunday before open
    expect(sessionState(ct(2025, 11, 23, 17, 0))).toBe("open");
  });

  test("next open and close, across the weekend", () => {
    expect(iso(nextOpen(ct(2025, 11, 21, 16, 30)))).toBe(iso(ct(2025, 11, 23, 17)));
    expect(iso(nextOpen(ct(2025, 11, 19, 16, 30)))).toBe(iso(ct(2025, 11, 19, 17)));
    expect(iso(nextClose(ct(2025, 11, 19, 10)))).toBe(iso(ct(2025, 11, 19, 16)));
    expect(iso(nextClose(ct(2025, 11, 22, 10)))).toBe(iso(ct(2025, 11, 24, 16)));
  });

  test("DST switches: the weekend of the change opens at 17:00 local either way", () => {
    // US DST began Sunday 2025-03-09 02:00 local; Globex opened that evening at 17:00 CDT = 22:00 UTC.
    expect(iso(nextOpen(Date.parse("2025-03-08T12:00:00Z")))).toBe("2025-03-09T22:00:00.000Z");
    // DST ended Sunday 2025-11-02; that evening's open was 17:00 CST = 23:00 UTC.
    expect(iso(nextOpen(Date.parse("2025-11-01T12:00:00Z")))).toBe("2025-11-02T23:00:00.000Z");
    // The daily break is 16:00 local on both sides of the change.
    expect(sessionState(Date.parse("2025-03-07T22:30:00Z"))).toBe("weekend"); // Fri 16:30 CST
    expect(sessionState(Date.parse("2025-03-10T21:30:00Z"))).toBe("daily-break"); // Mon 16:30 CDT
    expect(sessionState(Date.parse("2025-03-10T22:30:00Z"))).toBe("open"); // Mon 17:30 CDT
  });

  test("trade date: the evening session belongs to the next day, Sunday's to Monday", () => {
    expect(tradeDate(ct(2025, 11, 19, 10))).toBe("2025-11-19");
    expect(tradeDate(ct(2025, 11, 19, 18))).toBe("2025-11-20");
    expect(tradeDate(ct(2025, 11, 23, 18))).toBe("2025-11-24");
    expect(tradeDate(ct(2025, 11, 21, 18))).toBe("2025-11-24");
  });
});

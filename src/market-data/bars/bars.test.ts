import { describe, expect, test } from "bun:test";
import { atr } from "./atr";
import type { Bar } from "./bar";
import { BarAggregator } from "./bar-aggregator";

const N = 1_000_000_000; // 1.0 in nanos
const T0 = Date.parse("2025-04-07T13:30:00Z");

describe("bar aggregation", () => {
  test("1-minute bars stamped at the open, none for an empty minute", () => {
    const bars: Bar[] = [];
    const agg = new BarAggregator("1m", (b) => bars.push({ ...b }));
    const trades: [number, number, number][] = [
      [T0 + 100, 5000.25, 1],
      [T0 + 20_000, 5001.0, 2],
      [T0 + 59_999, 4999.5, 1],
      // minute 2 has no trades
      [T0 + 120_000, 5002.0, 3],
      [T0 + 150_000, 5003.25, 1],
    ];
    for (const [ts, px, sz] of trades) agg.onTrade(42, ts, Math.round(px * N), sz);
    agg.closeDue(T0 + 180_000);
    expect(bars).toEqual([
      {
        instrumentId: 42,
        interval: "1m",
        startMs: T0,
        open: 5000.25 * N,
        high: 5001 * N,
        low: 4999.5 * N,
        close: 4999.5 * N,
        volume: 4,
        source: "trades",
      },
      {
        instrumentId: 42,
        interval: "1m",
        startMs: T0 + 120_000,
        open: 5002 * N,
        high: 5003.25 * N,
        low: 5002 * N,
        close: 5003.25 * N,
        volume: 4,
        source: "trades",
      },
    ]);
  });

  test("instruments are independent; a late print joins the open bar", () => {
    const bars: Bar[] = [];
    const agg = new BarAggregator("1s", (b) => bars.push({ ...b }));
    agg.onTrade(1, T0 + 1500, 10 * N, 1);
    agg.onTrade(2, T0 + 1600, 20 * N, 1);
    agg.onTrade(1, T0 + 900, 9 * N, 1); // late: stamped in the previous second
    expect(agg.latePrints).toBe(1);
    agg.onTrade(1, T0 + 2100, 11 * N, 1);
    expect(bars).toEqual([
      {
        instrumentId: 1,
        interval: "1s",
        startMs: T0 + 1000,
        open: 10 * N,
        high: 10 * N,
        low: 9 * N,
        close: 9 * N,
        volume: 2,
        source: "trades",
      },
    ]);
    expect(agg.current(2)?.close).toBe(20 * N);
  });

  test("a bar closed by the clock is not updated again: the next print of that instrument opens a new one", () => {
    const bars: Bar[] = [];
    const agg = new BarAggregator("1s", (b) => bars.push({ ...b }));
    agg.onTrade(1, T0 + 100, 10 * N, 1);
    agg.onTrade(1, T0 + 200, 11 * N, 1);
    agg.closeDue(T0 + 1000);
    agg.onTrade(1, T0 + 1100, 12 * N, 2);
    agg.onTrade(2, T0 + 1150, 30 * N, 1);
    agg.onTrade(1, T0 + 1200, 13 * N, 1);
    agg.closeDue(T0 + 2000);
    expect(bars.map((b) => [b.instrumentId, b.startMs - T0, b.open / N, b.close / N, b.volume])).toEqual([
      [1, 0, 10, 11, 2],
      [1, 1000, 12, 13, 3],
      [2, 1000, 30, 30, 1],
    ]);
    expect(agg.current(1)).toBeUndefined();
  });
});

function bar(i: number, o: number, h: number, l: number, c: number): Bar {
  return {
    instrumentId: 1,
    interval: "1m",
    startMs: T0 + i * 60_000,
    open: o * N,
    high: h * N,
    low: l * N,
    close: c * N,
    volume: 1,
    source: "databento",
  };
}

describe("ATR", () => {
  // Hand-computed: TRs of bars 1..5 against the previous close.
  const bars = [
    bar(0, 100, 101, 99, 100), // (no previous close: only a reference)
    bar(1, 100, 102, 99.5, 101.5), // TR = max(2.5, 2, 0.5) = 2.5
    bar(2, 101.5, 101.75, 100, 100.25), // TR = max(1.75, 0.25, 1.5) = 1.75
    bar(3, 103, 104, 102.5, 103.5), // gap up: TR = max(1.5, 3.75, 2.25) = 3.75
    bar(4, 103.5, 103.75, 103, 103.25), // TR = max(0.75, 0.25, 0.5) = 0.75
    bar(5, 103.25, 104.25, 103.25, 104), // TR = max(1, 1, 0) = 1
  ];

  test("simple mean of the last `period` true ranges", () => {
    const r = atr(bars, { method: "simple", period: 3, lookback: 390 });
    expect(r).toEqual({ available: true, value: ((3.75 + 0.75 + 1) / 3) * N, bars: 6, method: "simple", period: 3 });
  });

  test("Wilder smoothing seeded with the first simple mean", () => {
    const r = atr(bars, { method: "wilder", period: 3, lookback: 390 });
    // seed (2.5+1.75+3.75)/3 = 2.6667; then (2.6667*2+0.75)/3 = 2.02778; then (2.02778*2+1)/3 = 1.68519
    const seed = (2.5 + 1.75 + 3.75) / 3;
    const v1 = (seed * 2 + 0.75) / 3;
    const v2 = (v1 * 2 + 1) / 3;
    expect(r.available && r.value / N).toBeCloseTo(v2, 9);
    expect(r.available && r.value / N).toBeCloseTo(1.685185185, 6);
  });

  test("lookback limits the window to max(lookback, 2 × period) bars", () => {
    const r = atr(bars, { method: "simple", period: 2, lookback: 3 });
    // window = last 4 bars (2 × period): TRs of bars 3..5 → last 2 = (0.75 + 1) / 2
    expect(r.available && r.value / N).toBe(0.875);
  });

  test("unavailable, never 0: too few bars, stale bars, a flat market", () => {
    expect(atr(bars.slice(0, 3), { method: "simple", period: 14, lookback: 390 })).toEqual({
      available: false,
      reason: "ATR(14) needs 15 one-minute bars, 3 available",
    });
    expect(atr([], { method: "wilder", period: 14, lookback: 390 }).available).toBe(false);
    const stale = atr(
      bars,
      { method: "simple", period: 3, lookback: 390, maxAgeMs: 3_600_000 },
      T0 + 5 * 60_000 + 7_200_000,
    );
    expect(stale).toEqual({ available: false, reason: "newest bar is 120 min old" });
    const flat = Array.from({ length: 20 }, (_, i) => bar(i, 100, 100, 100, 100));
    expect(atr(flat, { method: "simple", period: 14, lookback: 390 }).available).toBe(false);
  });
});

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { DatabaseHandle } from "../connect";
import { createTestDatabase, testDatabaseKind } from "../test-database";
import {
  barsBetween,
  barToCsv,
  decimalToNanos,
  lastBarTime,
  latestBars,
  nanosToDecimal,
  upsertBars,
  type ArchivedBar,
} from "./ohlcv-repo";

let h: DatabaseHandle;
beforeAll(async () => {
  h = await createTestDatabase();
});
afterAll(() => h.close());

const N = 1_000_000_000;
const T0 = Date.parse("2025-04-07T13:30:00Z");
const bar = (i: number, px: number, source: ArchivedBar["source"] = "databento"): ArchivedBar => ({
  dataset: "GLBX.MDP3",
  symbol: "NQ",
  startMs: T0 + i * 60_000,
  contract: "NQM5",
  instrumentId: 42005347,
  open: px * N,
  high: (px + 1.25) * N,
  low: (px - 0.5) * N,
  close: (px + 0.25) * N,
  volume: 100 + i,
  source,
});

describe(`OHLCV-1m archive (${testDatabaseKind})`, () => {
  test("decimal conversion is exact", () => {
    expect(nanosToDecimal(17_612_250_000_000)).toBe("17612.250000000");
    expect(nanosToDecimal(-10_000_000)).toBe("-0.010000000");
    expect(decimalToNanos("71.370000000")).toBe(71_370_000_000);
    expect(decimalToNanos("-0.01")).toBe(-10_000_000);
  });

  test("bulk upsert is idempotent: a restart re-sending bars duplicates nothing", async () => {
    const bars = Array.from({ length: 500 }, (_, i) => bar(i, 17000 + i * 0.25));
    await upsertBars(h.db, bars, 128);
    await upsertBars(h.db, bars.slice(100, 300), 128);
    const back = await barsBetween(h.db, "GLBX.MDP3", "NQ", T0, T0 + 500 * 60_000);
    expect(back.length).toBe(500);
    expect(back[0]).toEqual(bars[0]!);
    expect(back[499]).toEqual(bars[499]!);
    expect(await lastBarTime(h.db, "GLBX.MDP3", "NQ")).toBe(T0 + 499 * 60_000);
    expect(await lastBarTime(h.db, "GLBX.MDP3", "ES")).toBeUndefined();
  });

  test("Databento's bar replaces ours; ours never replaces Databento's", async () => {
    await upsertBars(h.db, [bar(1000, 18000, "trades")]);
    await upsertBars(h.db, [bar(1000, 18001, "databento")]);
    await upsertBars(h.db, [bar(1000, 18002, "trades")]);
    const [b] = await barsBetween(h.db, "GLBX.MDP3", "NQ", T0 + 1000 * 60_000, T0 + 1001 * 60_000);
    expect(b?.source).toBe("databento");
    expect(b?.open).toBe(18001 * N);
  });

  test("latest bars oldest first, and CSV", async () => {
    const last = await latestBars(h.db, "GLBX.MDP3", "NQ", 3);
    expect(last.map((b) => b.startMs)).toEqual([T0 + 498 * 60_000, T0 + 499 * 60_000, T0 + 1000 * 60_000]);
    expect(barToCsv(last[0]!)).toBe(
      "2025-04-07T21:48:00.000Z,NQ,NQM5,42005347,17124.500000000,17125.750000000,17124.000000000,17124.750000000,598,databento",
    );
  });

  test("an impossible bar is refused by the database and nothing of its batch lands", async () => {
    const bad = { ...bar(2000, 100), high: 50 * N };
    expect(upsertBars(h.db, [bar(2001, 100), bad])).rejects.toThrow();
    expect(await barsBetween(h.db, "GLBX.MDP3", "NQ", T0 + 2000 * 60_000, T0 + 2002 * 60_000)).toEqual([]);
  });
});

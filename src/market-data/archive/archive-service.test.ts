import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "kysely";
import { memoryLogger } from "../../log/logger";
import type { DatabaseHandle } from "../../persistence/connect";
import { barsBetween } from "../../persistence/repositories/ohlcv-repo";
import { createTestDatabase, testDatabaseKind } from "../../persistence/test-database";
import { HistoricalClient } from "../databento/historical-client";
import { simulatedPairBars, startSimulatedHistorical, type SimulatedHistorical } from "../feeds/simulated-history";
import { ArchiveService } from "./archive-service";
import { BarHistory } from "./bar-history";

const MIN = 60_000;
// A Tuesday mid-session, so every minute of the last hours is a Globex minute.
const ANCHOR = Date.parse("2026-11-24T15:30:00Z");
const KEY = "db-" + "k".repeat(29);
const SEED = 3;

let h: DatabaseHandle;
let hist: SimulatedHistorical;
beforeAll(async () => {
  h = await createTestDatabase();
  hist = startSimulatedHistorical({ anchorMs: ANCHOR, days: 2, seed: SEED, apiKey: KEY });
});
afterAll(async () => {
  await hist.stop();
  await h.close();
});

const expected = simulatedPairBars("ES", ANCHOR - 2 * 86_400_000, ANCHOR, SEED);
const hooks = {
  rootOf: (id: number) => (id === 900_000 ? "ES" : id === 900_001 ? "MES" : undefined),
  contractOf: () => "ESZ6",
};

function archive(
  nowMs: number,
  opts: { symbols?: string[]; days?: number; historical?: boolean; dataset?: string } = {},
) {
  const log = memoryLogger("debug");
  const svc = new ArchiveService(
    h.db,
    {
      dataset: opts.dataset ?? "SIM",
      symbols: opts.symbols ?? ["ES"],
      backfillDays: opts.days ?? 1,
      historical:
        opts.historical === false
          ? undefined
          : new HistoricalClient({ apiKey: KEY, baseUrl: hist.url, retryBaseMs: 1, maxRetries: 1 }),
      batch: 500,
    },
    hooks,
    log,
    () => nowMs,
  );
  return { svc, log };
}

const count = async (dataset = "SIM", symbol = "ES") =>
  Number(
    (
      await sql<{
        n: string;
      }>`select count(*) as n from ohlcv_1m where dataset = ${dataset} and symbol = ${symbol}`.execute(h.db)
    ).rows[0]!.n,
  );

const lastRequestStart = () =>
  hist.requests
    .filter((r) => r.path === "/v0/timeseries.get_range")
    .at(-1)
    ?.params.get("start");

describe(`archive backfill and live bars (${testDatabaseKind})`, () => {
  test("an empty archive is filled from the lookback up to the last whole minute, in batches, with progress", async () => {
    const { svc, log } = archive(ANCHOR - 3 * 60 * MIN);
    await svc.backfill("start-up");
    const want = expected
      .get("ES")!
      .filter((b) => b.startMs >= ANCHOR - 3 * 60 * MIN - 86_400_000 && b.startMs < ANCHOR - 3 * 60 * MIN);
    expect(want.length).toBeGreaterThan(1000);
    expect(await count()).toBe(want.length);
    const st = svc.status().symbols[0]!;
    expect(st).toMatchObject({
      symbol: "ES",
      phase: "done",
      progress: 1,
      bars: want.length,
      lastBarMs: want.at(-1)!.startMs,
    });
    expect(log.lines.some((l) => l.event === "archive.backfill_done" && l.bars === want.length)).toBe(true);
    const stored = await barsBetween(h.db, "SIM", "ES", want[0]!.startMs, want.at(-1)!.startMs + MIN);
    expect(stored.map((b) => [b.startMs, b.open, b.high, b.low, b.close, b.volume])).toEqual(
      want.map((b) => [b.startMs, b.open, b.high, b.low, b.close, b.volume]),
    );
    // The simulated market's past is labelled as such, never as Databento's (issue 16 item 10).
    expect(stored.every((b) => b.source === "simulated" && b.instrumentId === 900_000)).toBe(true);
  });

  test("a restart three hours later fetches only the gap; nothing is duplicated or lost", async () => {
    const { svc } = archive(ANCHOR);
    await svc.backfill("start-up");
    expect(lastRequestStart()).toBe(new Date(ANCHOR - 3 * 60 * MIN).toISOString());
    const want = expected.get("ES")!.filter((b) => b.startMs >= ANCHOR - 3 * 60 * MIN - 86_400_000);
    expect(await count()).toBe(want.length);
    // Nothing new: no request is even needed, and a second run changes nothing.
    const before = hist.requests.length;
    await svc.backfill("again");
    expect(hist.requests.filter((r) => r.path === "/v0/timeseries.get_range").length).toBe(
      hist.requests.filter((r, i) => i < before && r.path === "/v0/timeseries.get_range").length,
    );
    expect(await count()).toBe(want.length);
  });

  /** The stored minute replaced by one the live feed built from trades (a tick higher, volume 1). */
  async function builtFromTrades(
    svc: ReturnType<typeof archive>["svc"],
    dataset: string,
    symbol: string,
    instrumentId: number,
    target: { startMs: number; open: number; high: number; low: number; close: number },
  ) {
    await sql`delete from ohlcv_1m where dataset = ${dataset} and symbol = ${symbol} and ts = ${new Date(target.startMs)}`.execute(
      h.db,
    );
    svc.onBar({
      instrumentId,
      interval: "1m",
      startMs: target.startMs,
      open: target.open,
      high: target.high + 250_000_000,
      low: target.low,
      close: target.close,
      volume: 1,
      source: "trades",
    });
    await svc.flush();
  }

  test("overlapping (duplicate) bars from an outage backfill are stored once, and Databento's bar replaces one built from trades", async () => {
    // Real data (GLBX.MDP3; the fake Historical stands in for Databento's).
    const { svc } = archive(ANCHOR, { dataset: "GLBX.MDP3", symbols: ["MES"] });
    await svc.backfill("start-up");
    const target = expected.get("MES")!.at(-10)!;
    // Say the live feed built this minute from trades (different values), then the feed was out.
    await builtFromTrades(svc, "GLBX.MDP3", "MES", 900_001, target);
    const [ours] = await barsBetween(h.db, "GLBX.MDP3", "MES", target.startMs, target.startMs + MIN);
    expect(ours?.source).toBe("trades");
    const n = await count("GLBX.MDP3", "MES");
    await svc.backfill("feed reconnected", target.startMs - 30 * MIN + 5_000);
    expect(lastRequestStart()).toBe(new Date(target.startMs - 30 * MIN).toISOString());
    expect(await count("GLBX.MDP3", "MES")).toBe(n);
    const [theirs] = await barsBetween(h.db, "GLBX.MDP3", "MES", target.startMs, target.startMs + MIN);
    expect(theirs).toMatchObject({ source: "databento", high: target.high, volume: target.volume });
    // A live bar from trades for a minute Databento already gave never overwrites it.
    svc.onBar({
      instrumentId: 900_001,
      interval: "1m",
      startMs: target.startMs,
      open: 1,
      high: 2,
      low: 1,
      close: 1,
      volume: 1,
      source: "trades",
    });
    await svc.flush();
    expect((await barsBetween(h.db, "GLBX.MDP3", "MES", target.startMs, target.startMs + MIN))[0]).toMatchObject({
      source: "databento",
      high: target.high,
    });
  });

  test("simulated market: its live bars are labelled simulated too, and the simulated past never overwrites a stored bar", async () => {
    const { svc } = archive(ANCHOR);
    const target = expected.get("ES")!.at(-10)!;
    await builtFromTrades(svc, "SIM", "ES", 900_000, target);
    expect((await barsBetween(h.db, "SIM", "ES", target.startMs, target.startMs + MIN))[0]).toMatchObject({
      source: "simulated",
      volume: 1,
    });
    const n = await count();
    await svc.backfill("feed reconnected", target.startMs - 30 * MIN + 5_000);
    expect(await count()).toBe(n);
    expect((await barsBetween(h.db, "SIM", "ES", target.startMs, target.startMs + MIN))[0]).toMatchObject({
      source: "simulated",
      volume: 1,
      high: target.high + 250_000_000,
    });
  });

  test("live bars of archived symbols are kept (others are not); unwritten ones are visible to readers", async () => {
    const { svc } = archive(ANCHOR + 10 * MIN);
    const live = {
      instrumentId: 900_000,
      interval: "1m" as const,
      startMs: ANCHOR + 5 * MIN,
      open: 6000e9,
      high: 6001e9,
      low: 5999e9,
      close: 6000.25e9,
      volume: 12,
      source: "trades" as const,
    };
    svc.onBar(live);
    svc.onBar({ ...live, instrumentId: 900_001 });
    svc.onBar({ ...live, interval: "1s" });
    expect((await svc.recent("ES", 1))[0]).toMatchObject({ startMs: live.startMs, close: live.close });
    await svc.flush();
    expect(await count("SIM", "MES")).toBe(0);
    expect((await barsBetween(h.db, "SIM", "ES", live.startMs, live.startMs + MIN))[0]).toMatchObject({
      close: live.close,
      contract: "ESZ6",
    });
  });

  test("a failing Historical API leaves the archive as it was, says why, and the next run recovers", async () => {
    const { svc, log } = archive(ANCHOR + 60 * MIN);
    const n = await count();
    hist.faults.push({ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 });
    await svc.backfill("start-up");
    expect(svc.status().symbols[0]).toMatchObject({ phase: "failed" });
    expect(svc.status().symbols[0]!.message).toContain("500");
    expect(log.lines.some((l) => l.event === "archive.backfill_failed")).toBe(true);
    expect(await count()).toBe(n);
    hist.faults.length = 0;
    await svc.backfill("retry");
    expect(svc.status().symbols[0]).toMatchObject({ phase: "done" });
  });

  test("without Historical access the status says so; the simulated archive never mixes with real data", async () => {
    const { svc } = archive(ANCHOR, { historical: false, dataset: "GLBX.MDP3" });
    await svc.backfill("start-up");
    expect(svc.status()).toMatchObject({
      dataset: "GLBX.MDP3",
      historical: false,
      symbols: [{ symbol: "ES", phase: "no-historical" }],
    });
    expect(await count("GLBX.MDP3")).toBe(0);
  });

  test("ATR from the archive for an archived symbol, from live bars for the others, unavailable (never 0) without data", async () => {
    const { svc } = archive(ANCHOR);
    const hist2 = new BarHistory(svc, hooks.rootOf, () => ANCHOR);
    const a = await hist2.atr("ES", { method: "wilder", period: 14, lookback: 390 });
    expect(a.available).toBe(true);
    if (a.available) expect(a.value).toBeGreaterThan(0);
    const none = await hist2.atr("MES", { method: "simple", period: 14, lookback: 390 });
    expect(none).toMatchObject({ available: false });
    if (!none.available) expect(none.reason).toContain("needs 15");
    for (let i = 0; i < 15; i++)
      hist2.onBar({
        instrumentId: 900_001,
        interval: "1m",
        startMs: ANCHOR - (15 - i) * MIN,
        open: 6000e9,
        high: 6000.5e9,
        low: 5999.75e9,
        close: 6000.25e9,
        volume: 3,
        source: "trades",
      });
    expect(await hist2.atr("MES", { method: "simple", period: 14, lookback: 390 })).toMatchObject({
      available: true,
      value: 0.75e9,
    });
  });
});

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "kysely";
import * as simulatedBars from "../../../migrations/0012_simulated_bars";
// The app's start-up of the simulated market (it reads the archive, which the market-data layer must not).
import { startSimulation } from "../../app/simulated-start";
import { memoryLogger } from "../../log/logger";
import type { DatabaseHandle } from "../../persistence/connect";
import { barsBetween, upsertBars, type ArchivedBar } from "../../persistence/repositories/ohlcv-repo";
import { createTestDatabase, testDatabaseKind } from "../../persistence/test-database";
import { ArchiveService } from "../archive/archive-service";
import { MarketDataService } from "../service/market-data-service";
import { simulatedPairBars } from "./simulated-history";

/**
 * Issue 16 item 10: the simulated market is continuous across restarts. Each run is what the
 * server does at start-up (simulated past from the archive's newest bars, backfill, live feed),
 * on one database, with a clock that runs ~40× faster than the test.
 */

const MIN = 60_000;
// A Tuesday mid-session: every minute around it is a Globex minute.
const T0 = Date.parse("2026-11-24T15:30:00Z");
const TICK = 0.25e9; // ES and MES
const ROOTS = ["ES", "MES"];
const SEED = 5;

let h: DatabaseHandle;
let clock = T0;
const now = () => clock;

beforeAll(async () => {
  h = await createTestDatabase();
  // What an earlier run left: ES and MES a hundred points above where a fresh simulation starts (6000).
  const seed: ArchivedBar[] = [];
  for (const symbol of ROOTS) {
    for (let i = 0; i < 3; i++) {
      const close = 6100e9 + i * TICK;
      seed.push({
        dataset: "SIM",
        symbol,
        startMs: T0 - (8 - i) * MIN,
        contract: `${symbol}Z6`,
        instrumentId: symbol === "ES" ? 900_000 : 900_001,
        open: close - TICK,
        high: close,
        low: close - TICK,
        close,
        volume: 50,
        source: "trades",
      });
    }
  }
  await upsertBars(h.db, seed);
});
afterAll(() => h.close());

interface Print {
  root: string;
  tsMs: number;
  price: number;
}

/** One server run from `startAt` for `minutes` of simulated time: the market-data part of start-up, then stop. */
async function run(startAt: number, minutes: number) {
  clock = startAt;
  const logger = memoryLogger("warn");
  const md = new MarketDataService({ kind: "simulated", simSeed: SEED }, logger, ROOTS, now);
  const archive = new ArchiveService(
    h.db,
    { dataset: "SIM", symbols: ROOTS, backfillDays: 1 },
    { rootOf: (id) => md.rootOf(id), contractOf: (id) => md.contractOf(id) },
    logger,
    now,
  );
  const history = await startSimulation({ db: h.db, archive, marketData: md, logger, days: 1, seed: SEED }, startAt);
  archive.attach(md.bus, 100);
  const prints: Print[] = [];
  md.bus.subscribe({
    trade: (t) => {
      const root = md.rootOf(t.instrumentId);
      if (root) prints.push({ root, tsMs: t.tsMs, price: t.price });
    },
  });
  await md.start();
  await archive.backfill("start-up");
  // Slowly until the first prints arrived (the session's handshake), then about 40× real time.
  for (let i = 0; i < 400 && !ROOTS.every((r) => prints.some((p) => p.root === r)); i++) {
    await Bun.sleep(10);
    clock += 20;
  }
  while (clock < startAt + minutes * MIN) {
    await Bun.sleep(25);
    clock += 1_000;
  }
  await Bun.sleep(400); // the bar clock closes the last whole minute
  md.stop();
  await archive.stop();
  await history.stop();
  return { prints, first: (root: string) => prints.find((p) => p.root === root)!, logger };
}

const stored = (symbol: string) => barsBetween(h.db, "SIM", symbol, T0 - 60 * MIN, T0 + 60 * MIN);
const ticks = (a: number, b: number) => Math.abs(a - b) / TICK;

describe(`the simulated market across restarts (${testDatabaseKind})`, () => {
  test("it continues from the stored bars: backfilled past and live prints meet them without a jump, all labelled simulated", async () => {
    // Run 1: the archive ends at T0 − 6 min (6100.50); the simulated past fills T0 − 5 … T0 − 1, the live market starts at T0.
    const one = await run(T0, 4);
    for (const root of ROOTS) {
      const bars = await stored(root);
      const past = bars.filter((b) => b.startMs >= T0 - 5 * MIN && b.startMs < T0);
      expect(past.map((b) => b.startMs)).toEqual([5, 4, 3, 2, 1].map((k) => T0 - k * MIN));
      // The simulated past opens where the stored bars end, and the live market opens where the past ends.
      expect(ticks(past[0]!.open, 6100.5e9)).toBeLessThanOrEqual(1);
      expect(ticks(one.first(root).price, past.at(-1)!.close)).toBeLessThanOrEqual(8);
      expect(one.first(root).tsMs).toBeGreaterThanOrEqual(T0);
      // Live bars after T0 were stored too.
      expect(bars.filter((b) => b.startMs >= T0).length).toBeGreaterThanOrEqual(3);
    }

    // Run 2: a quick restart, 20 s into the minute after the last stored bar: no past to fill.
    const lastBefore = new Map<string, ArchivedBar>();
    for (const root of ROOTS) lastBefore.set(root, (await stored(root)).at(-1)!);
    const restartAt = lastBefore.get("ES")!.startMs + MIN + 20_000;
    const two = await run(restartAt, 3);
    for (const root of ROOTS) {
      // The first new price continues from the last stored one (it used to start again at 6000).
      expect(ticks(two.first(root).price, lastBefore.get(root)!.close)).toBeLessThanOrEqual(8);
    }

    for (const root of ROOTS) {
      const bars = await stored(root);
      // Every bar the simulated market made says so (the earlier run's seed bars are older).
      const made = bars.filter((b) => b.startMs > T0 - 6 * MIN);
      expect(made.length).toBeGreaterThanOrEqual(10);
      expect(made.filter((b) => b.source !== "simulated")).toEqual([]);
      // From the seed through both runs: each bar opens within a few ticks of the previous close.
      const jumps = bars.slice(1).map((b, i) => ({
        at: new Date(b.startMs).toISOString(),
        from: bars[i]!.close / 1e9,
        to: b.open / 1e9,
        ticks: ticks(b.open, bars[i]!.close),
      }));
      expect(jumps.filter((j) => j.ticks > 12)).toEqual([]);
    }
  }, 60_000);

  test("the simulated past continues a resume point forward and ends where the live market starts", () => {
    const resume = { startMs: T0 - 30 * MIN, close: 6123.25e9 };
    const bars = simulatedPairBars("ES", T0 - 86_400_000, T0, SEED, resume);
    const es = bars.get("ES")!;
    const after = es.filter((b) => b.startMs > resume.startMs);
    expect(after.length).toBe(29);
    expect(after[0]!.open).toBe(resume.close);
    for (let i = 1; i < after.length; i++) expect(after[i]!.open).toBe(after[i - 1]!.close);
    // Before the resume point the past is walked backward to it: the bar at the point closes at it.
    expect(es.find((b) => b.startMs === resume.startMs)!.close).toBe(resume.close);
    // Same inputs, same bars; without a resume point the newest bar closes at the fresh start price.
    expect(simulatedPairBars("ES", T0 - 86_400_000, T0, SEED, resume)).toEqual(bars);
    expect(
      simulatedPairBars("ES", T0 - 86_400_000, T0, SEED)
        .get("ES")!
        .at(-1)!.close,
    ).toBe(6000e9);
  });

  test("bars stored before the label existed are relabelled: every SIM bar is 'simulated', real ones keep theirs", async () => {
    const at = T0 + 10 * 86_400_000;
    const bar = (dataset: string, source: ArchivedBar["source"]): ArchivedBar => ({
      dataset,
      symbol: "GC",
      startMs: at,
      contract: "GCZ6",
      instrumentId: 1,
      open: 4000e9,
      high: 4000e9,
      low: 4000e9,
      close: 4000e9,
      volume: 1,
      source,
    });
    await upsertBars(h.db, [bar("SIM", "trades"), bar("GLBX.MDP3", "trades")]);
    await simulatedBars.up(h.db);
    expect((await barsBetween(h.db, "SIM", "GC", at, at + MIN))[0]!.source).toBe("simulated");
    expect((await barsBetween(h.db, "GLBX.MDP3", "GC", at, at + MIN))[0]!.source).toBe("trades");
    await expect(sql`update ohlcv_1m set source = 'invented' where symbol = 'GC'`.execute(h.db)).rejects.toThrow(
      /ohlcv_1m_source_check/,
    );
  });
});

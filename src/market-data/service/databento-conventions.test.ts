import { mbp1Print } from "../dbn/test-records";
import { afterEach, describe, expect, test } from "bun:test";
import { memoryLogger } from "../../log/logger";
import type { Bar } from "../bars/bar";
import { RType } from "../dbn/constants";
import type { DbnRecord } from "../dbn/record-codec";
import { startFakeGateway, type FakeGateway } from "../databento/fake-gateway";
import { startSessionFeed, type InstrumentRef, type SessionFeed } from "../databento/gateway-feed";
import { MarketDataService } from "./market-data-service";
import { eventually, until } from "../../shared/testing";

/** How the service reads two Databento conventions: which clock buckets bars, and which system messages matter. */
const KEY = "db-" + "c".repeat(29);
const ES: InstrumentRef = { instrumentId: 1, raw: "ESZ6", aliases: ["ES.c.0"] };
const M = Date.parse("2026-11-24T15:30:00Z");
const MIN_MS = 60_000;
const ns = (ms: number) => BigInt(ms) * 1_000_000n;

/** A trade print (MBP-1, action T) with its exchange time and Databento's receive time. */
const print = (eventNs: bigint, recvNs: bigint, ticks: number, size: number): DbnRecord =>
  mbp1Print({ instrumentId: ES.instrumentId, eventNs, recvNs, ticks, size, side: "A" });

let gw: FakeGateway | undefined;
let svc: MarketDataService | undefined;
afterEach(() => {
  svc?.stop();
  gw?.stop();
});

async function setup(clock: () => number) {
  const feeds: SessionFeed[] = [];
  gw = startFakeGateway({
    apiKeys: [KEY],
    onStart: (s) => void feeds.push(startSessionFeed(s, { instruments: [ES] })),
  });
  const log = memoryLogger("debug");
  svc = new MarketDataService(
    { kind: "databento", apiKey: KEY, gateway: { host: gw.host, port: gw.port } },
    log,
    ["ES"],
    clock,
  );
  const bars: Bar[] = [];
  svc.bus.subscribe({ bar: (b) => void (b.source === "trades" && bars.push({ ...b })) });
  await svc.start();
  await until(() => feeds.length > 0 && svc!.rootOf(ES.instrumentId) !== undefined, 2000);
  return { feed: feeds[0]!, log, bars };
}

describe("Databento conventions in the market-data service", () => {
  test("bars from trades are bucketed on ts_recv, as Databento's OHLCV bars are: a print stamped before the minute but received after it counts in the new minute", async () => {
    let clock = M + 30_000;
    const { feed, bars } = await setup(() => clock);
    feed.send([
      print(ns(M + 10_000), ns(M + 10_000) + 900n, 24_000, 1),
      // Matched 0.3 ms before the minute's end, received 0.2 ms after it.
      print(ns(M + MIN_MS) - 300_000n, ns(M + MIN_MS) + 200_000n, 24_004, 2),
      print(ns(M + MIN_MS + 5_000), ns(M + MIN_MS + 5_000) + 900n, 24_002, 3),
    ]);
    await eventually(() => bars.some((b) => b.interval === "1m" && b.startMs === M));
    clock = M + 2 * MIN_MS;
    await eventually(() => bars.some((b) => b.interval === "1m" && b.startMs === M + MIN_MS));
    const minutes = bars
      .filter((b) => b.interval === "1m")
      .map((b) => [b.startMs - M, b.open / 250_000_000, b.close / 250_000_000, b.volume]);
    expect(minutes).toEqual([
      [0, 24_000, 24_000, 1],
      [MIN_MS, 24_004, 24_002, 5],
    ]);
    // The one-second bars follow the same clock.
    expect(bars.find((b) => b.interval === "1s" && b.startMs === M + MIN_MS)).toMatchObject({
      open: 24_004 * 250_000_000,
      volume: 2,
    });
  });

  test("the end-of-interval system message (code 4, every minute) is logged at debug; others stay at info", async () => {
    const { feed, log } = await setup(() => M);
    const sys = (msg: string, code: number): DbnRecord => ({
      hd: { rtype: RType.SYSTEM, publisher_id: 0, instrument_id: 0, ts_event: ns(M) },
      msg,
      code,
    });
    feed.sendControl([sys("End of interval for ohlcv-1m", 4), sys("Finished ohlcv-1m replay", 3)]);
    await eventually(
      () => log.lines.filter((l) => l.event === "feed.system" && (l.code === 4 || l.code === 3)).length === 2,
    );
    expect(log.lines.find((l) => l.event === "feed.system" && l.code === 4)).toMatchObject({ level: "debug" });
    expect(log.lines.find((l) => l.event === "feed.system" && l.code === 3)).toMatchObject({ level: "info" });
  });
});

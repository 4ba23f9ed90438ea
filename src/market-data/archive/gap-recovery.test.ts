import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { KyselyPlugin } from "kysely";
import { memoryLogger } from "../../log/logger";
import type { DatabaseHandle } from "../../persistence/connect";
import { barsBetween } from "../../persistence/repositories/ohlcv-repo";
import { createTestDatabase, testDatabaseKind } from "../../persistence/test-database";
import type { Bar } from "../bars/bar";
import { RType } from "../dbn/constants";
import type { DbnRecord } from "../dbn/record-codec";
import { startFakeGateway, type FakeGateway, type FakeGatewaySession } from "../databento/fake-gateway";
import { startSessionFeed, type InstrumentRef, type SessionFeed } from "../databento/gateway-feed";
import { MarketDataService } from "../service/market-data-service";
import { ArchiveService } from "./archive-service";
import { eventually } from "../../shared/testing";

/**
 * The archive across a feed outage in the middle of a minute: the live feed (Databento Live
 * through the fake gateway) builds bars from trades, Databento's own ohlcv-1m bars replace them,
 * and the bar of the minute in progress at the drop must end up Databento's — not a partial one
 * rebuilt from the trades after the reconnection.
 */
const KEY = "db-" + "g".repeat(29);
const ES: InstrumentRef = { instrumentId: 1, raw: "ESZ6", aliases: ["ES.c.0"] };
const MIN = 60_000;
// A recent minute, so the client asks for intraday replay (it must lie within the last 24 h).
const M = Math.floor(Date.now() / MIN) * MIN - 10 * MIN;
const ns = (ms: number) => BigInt(ms) * 1_000_000n;
const px = (ticks: number) => ticks * 250_000_000;

const trade = (s: number, ticks: number, size: number): DbnRecord => ({
  hd: { rtype: RType.MBP_1, publisher_id: 1, instrument_id: ES.instrumentId, ts_event: ns(M + s * 1000) },
  price: BigInt(px(ticks)),
  size,
  action: "T",
  side: "B",
  flags: 128,
  depth: 0,
  ts_recv: ns(M + s * 1000) + 5_000n,
  ts_in_delta: 0,
  sequence: s,
  levels: [{ bid_px: BigInt(px(ticks)), ask_px: BigInt(px(ticks + 1)), bid_sz: 5, ask_sz: 5, bid_ct: 1, ask_ct: 1 }],
});
const ohlcv = (startMs: number, o: number, h: number, l: number, c: number, v: number): DbnRecord => ({
  hd: { rtype: RType.OHLCV_1M, publisher_id: 1, instrument_id: ES.instrumentId, ts_event: ns(startMs) },
  open: BigInt(px(o)),
  high: BigInt(px(h)),
  low: BigInt(px(l)),
  close: BigInt(px(c)),
  volume: BigInt(v),
});

let h: DatabaseHandle;
beforeAll(async () => {
  h = await createTestDatabase();
});
afterAll(async () => {
  await h.close();
});
let gw: FakeGateway | undefined;
let svc: MarketDataService | undefined;
let archive: ArchiveService | undefined;
afterEach(async () => {
  svc?.stop();
  gw?.stop();
  await archive?.stop();
});

describe(`the archive across a feed outage mid-minute (${testDatabaseKind})`, () => {
  test("Databento's ohlcv-1m bar of the minute in progress at the drop (stamped before the last trade) is the one kept, not a partial from trades", async () => {
    // Minute M: trades at +10, +20, +30 s; the line drops; +40 and +50 s come during the outage,
    // then Databento's bar of minute M (all five trades), then a trade of the next minute.
    const before = [
      ohlcv(M - MIN, 24_000, 24_004, 23_998, 24_002, 9),
      trade(10, 24_010, 1),
      trade(20, 24_014, 2),
      trade(30, 24_008, 3),
    ];
    const during = [trade(40, 24_020, 4), trade(50, 24_005, 5)];
    const full = ohlcv(M, 24_010, 24_020, 24_005, 24_005, 15);
    const history = [...before, ...during, full, trade(61, 24_006, 1)];
    let release!: () => void;
    const reconnected = new Promise<void>((r) => (release = r));
    const feeds: SessionFeed[] = [];
    gw = startFakeGateway({
      apiKeys: [KEY],
      onStart: (s: FakeGatewaySession) => {
        if (gw!.sessions.length === 1) feeds.push(startSessionFeed(s, { instruments: [ES], history }));
        // The second session is held until the bar clock has closed minute M on the trades it had.
        else void reconnected.then(() => feeds.push(startSessionFeed(s, { instruments: [ES], history })));
      },
    });
    let clock = M + 35_000;
    svc = new MarketDataService(
      { kind: "databento", apiKey: KEY, gateway: { host: gw.host, port: gw.port } },
      memoryLogger("warn"),
      ["ES"],
      () => clock,
    );
    archive = new ArchiveService(
      h.db,
      { dataset: "GLBX.MDP3", symbols: ["ES"], backfillDays: 1 },
      { rootOf: (id) => svc!.rootOf(id), contractOf: (id) => svc!.contractOf(id) },
      memoryLogger("warn"),
      () => clock,
    );
    archive.attach(svc.bus, 60_000);
    const bars: Bar[] = [];
    let prints = 0;
    svc.bus.subscribe({ bar: (b) => void (b.interval === "1m" && bars.push({ ...b })), trade: () => void prints++ });
    await svc.start();
    await eventually(() => feeds.length === 1 && svc!.rootOf(ES.instrumentId) === "ES", 5000);
    feeds[0]!.send(before);
    await eventually(() => prints === 3, 5000);
    feeds[0]!.close();
    // The outage outlasts minute M: the bar clock closes it on the three trades before the drop.
    clock = M + 65_000;
    await eventually(() => bars.some((b) => b.startMs === M && b.source === "trades"), 5000);
    expect(bars.find((b) => b.startMs === M)).toMatchObject({ volume: 6, source: "trades" });
    release();
    await eventually(() => prints >= 6, 5000); // +40, +50 (replayed) and +61 s: the trades rebuilt minute M and closed it
    await Bun.sleep(50);
    await archive.flush();
    const [kept] = await barsBetween(h.db, "GLBX.MDP3", "ES", M, M + MIN);
    expect(kept).toMatchObject({
      startMs: M,
      source: "databento",
      open: px(24_010),
      high: px(24_020),
      low: px(24_005),
      close: px(24_005),
      volume: 15,
      contract: "ESZ6",
    });
    expect((await archive.range("ES", M - MIN, M + MIN)).map((b) => [b.startMs, b.source, b.volume])).toEqual([
      [M - MIN, "databento", 9],
      [M, "databento", 15],
    ]);
  });

  test("a write that fails while a trades-built bar of the same minute arrives keeps Databento's bar for the next flush", async () => {
    let failing = true;
    const base = { instrumentId: ES.instrumentId, interval: "1m" as const, startMs: M + 5 * MIN };
    const theirs: Bar = {
      ...base,
      open: px(1),
      high: px(9),
      low: px(1),
      close: px(5),
      volume: 40,
      source: "databento",
    };
    const partial: Bar = { ...base, open: px(4), high: px(5), low: px(4), close: px(5), volume: 3, source: "trades" };
    let a: ArchiveService;
    // The database refuses the write; meanwhile the bar rebuilt from trades for that minute comes in.
    const refuse: KyselyPlugin = {
      transformQuery(args) {
        if (failing) {
          failing = false;
          a.onBar(partial);
          throw new Error("connection lost");
        }
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    a = archive = new ArchiveService(
      h.db.withPlugin(refuse),
      { dataset: "GLBX.MDP3", symbols: ["ES"], backfillDays: 1 },
      { rootOf: () => "ES", contractOf: () => "ESZ6" },
      memoryLogger("error"),
    );
    a.onBar(theirs);
    await a.flush();
    expect(failing).toBe(false);
    await a.flush();
    expect((await barsBetween(h.db, "GLBX.MDP3", "ES", base.startMs, base.startMs + MIN))[0]).toMatchObject({
      source: "databento",
      volume: 40,
      high: px(9),
    });
  });
});

import { afterEach, describe, expect, test } from "bun:test";
import { memoryLogger } from "../../log/logger";
import { parseFixed } from "../../shared/fixed-point";
import type { Bar } from "../bars/bar";
import type { TradeTick } from "../bus/price-bus";
import { RType } from "../dbn/constants";
import type { DbnRecord } from "../dbn/record-codec";
import { startFakeGateway, type FakeGateway } from "../databento/fake-gateway";
import { startSessionFeed, type InstrumentRef, type SessionFeed } from "../databento/gateway-feed";
import { MarketDataService } from "./market-data-service";
import { expectQuietFor, until } from "../../shared/testing";

const KEY = "db-" + "m".repeat(29);
const INSTRUMENTS: InstrumentRef[] = [
  { instrumentId: 1, raw: "ESZ6", aliases: ["ES.c.0"] },
  { instrumentId: 2, raw: "MESZ6", aliases: ["MES.c.0"] },
  { instrumentId: 3, raw: "NQZ6", aliases: ["NQ.c.0"] },
  { instrumentId: 11, raw: "ESH7", aliases: [] },
];
const T = 1_795_000_000_000;
const ns = (ms: number) => BigInt(ms) * 1_000_000n;

const trade = (id: number, ms: number, px: string, size = 1): DbnRecord => ({
  hd: { rtype: RType.MBP_1, publisher_id: 1, instrument_id: id, ts_event: ns(ms) },
  price: parseFixed(px),
  size,
  action: "T",
  side: "B",
  flags: 128,
  depth: 0,
  ts_recv: ns(ms),
  ts_in_delta: 0,
  sequence: 1,
  levels: [
    { bid_px: parseFixed(px), ask_px: parseFixed(px) + 250_000_000n, bid_sz: 5, ask_sz: 6, bid_ct: 1, ask_ct: 1 },
  ],
});

let gw: FakeGateway | undefined;
let svc: MarketDataService | undefined;
afterEach(() => {
  svc?.stop();
  gw?.stop();
});

async function setup(roots = ["ES", "MES"]) {
  const feeds: SessionFeed[] = [];
  gw = startFakeGateway({
    apiKeys: [KEY],
    onStart: (s) => void feeds.push(startSessionFeed(s, { instruments: INSTRUMENTS })),
  });
  const log = memoryLogger("debug");
  svc = new MarketDataService(
    { kind: "databento", apiKey: KEY, gateway: { host: gw.host, port: gw.port } },
    log,
    roots,
  );
  const trades: TradeTick[] = [];
  const bars: Bar[] = [];
  svc.bus.subscribe({ trade: (t) => void trades.push(t), bar: (b) => void bars.push(b) });
  await svc.start();
  await until(() => feeds.length > 0 && svc!.rootOf(2) !== undefined, 1000);
  return { feed: feeds[0]!, feeds, log, trades, bars, svc };
}

describe("market-data service over the Live protocol", () => {
  test("subscribes trades/quotes, Databento bars and definitions; a definition overrides the catalogue; Databento's bar reaches the bus", async () => {
    const { feed, log, trades, bars, svc } = await setup();
    const subLines = gw!.lines.filter((l) => l.startsWith("schema="));
    expect(subLines.map((l) => l.split("|")[0])).toEqual(["schema=mbp-1", "schema=ohlcv-1m", "schema=definition"]);
    feed.send([
      {
        hd: { rtype: RType.INSTRUMENT_DEF, publisher_id: 1, instrument_id: 2, ts_event: ns(T) },
        raw_symbol: "MESZ6",
        instrument_class: "F",
        min_price_increment: parseFixed("0.1"),
        unit_of_measure_qty: parseFixed("5"),
        expiration: ns(T + 86_400_000),
      },
      trade(2, T + 1, "6000.25", 3),
      {
        hd: { rtype: RType.OHLCV_1M, publisher_id: 1, instrument_id: 2, ts_event: ns(T - 60_000) },
        open: parseFixed("5999"),
        high: parseFixed("6001"),
        low: parseFixed("5998.75"),
        close: parseFixed("6000"),
        volume: 42n,
      },
    ]);
    await until(() => trades.length > 0 && bars.length > 0);
    expect(svc.instruments.get("MES")!.tickSize).toBe(parseFixed("0.1"));
    expect(svc.instruments.get("ES")!.tickSize).toBe(parseFixed("0.25"));
    expect(log.lines.find((l) => l.event === "feed.definition_override")).toMatchObject({
      symbol: "MES",
      contract: "MESZ6",
    });
    expect(trades[0]).toMatchObject({ instrumentId: 2, price: 6000.25e9, size: 3 });
    expect(bars[0]).toMatchObject({
      instrumentId: 2,
      interval: "1m",
      source: "databento",
      startMs: T - 60_000,
      volume: 42,
      high: 6001e9,
    });
    expect(svc.status()).toMatchObject({ kind: "databento", state: "live", symbols: 2 });
  });

  test("the feed's prints add up to each root's volume at price for the session (the price ladder's column)", async () => {
    const { feed, trades, svc } = await setup();
    expect(svc.sessionVolume("MES")).toEqual({ sinceMs: null, lastMs: null, levels: [] });
    feed.send([trade(2, T + 1, "6000.25", 3), trade(2, T + 2, "6000.50", 1), trade(2, T + 3, "6000.25", 2)]);
    await until(() => trades.length === 3);
    expect(svc.sessionVolume("MES")).toEqual({
      sinceMs: T + 1,
      lastMs: T + 3,
      levels: [
        [6000.25e9, 5],
        [6000.5e9, 1],
      ],
    });
    expect(svc.sessionVolume("ES").levels).toEqual([]);
  });

  test("watching another symbol adds a subscription to the running session — no reconnect — and its prices flow", async () => {
    const { feeds, trades, svc } = await setup();
    expect(svc.watch(["ES", "NQ"])).toEqual(["NQ"]);
    expect(svc.watch(["NQ"])).toEqual([]);
    await until(() => svc.rootOf(3) === "NQ");
    expect(svc.rootOf(3)).toBe("NQ");
    // Under the default roll rule: the contract with the most volume.
    expect(gw!.lines.filter((l) => l.includes("NQ.v.0")).length).toBe(3);
    feeds[0]!.send([trade(3, T + 5, "21000.5")]);
    await until(() => trades.some((t) => t.instrumentId === 3));
    expect(trades.find((t) => t.instrumentId === 3)?.price).toBe(21000.5e9);
    expect(feeds.length).toBe(1);
    expect(svc.status().reconnects).toBe(0);
  });

  test("a roll: the gateway never re-maps a running subscription; the daily identical one maps anew, and only the new contract prints", async () => {
    const { feed, trades, log, svc } = await setup();
    const rolls: unknown[] = [];
    svc.onRoll((r) => void rolls.push(r));
    feed.send([trade(1, T + 1, "6000")]);
    await until(() => trades.some((t) => t.instrumentId === 1));
    // ESH7 becomes the volume leader: only a new subscription sees it.
    feed.remap("ES.v.0", INSTRUMENTS[3]!);
    const before = gw!.lines.filter((l) => l.startsWith("schema=")).length;
    (svc as unknown as { client: { resubscribe(): void } }).client.resubscribe();
    await until(() => svc.rootOf(11) === "ES");
    expect(gw!.lines.filter((l) => l.startsWith("schema=")).length - before).toBe(3);
    expect(rolls).toEqual([{ symbol: "ES", from: "ESZ6", to: "ESH7", state: "rolled" }]);
    expect(log.lines.find((l) => l.event === "feed.roll")).toMatchObject({ symbol: "ES", from: "ESZ6", to: "ESH7" });
    // The old subscription still streams ESZ6 until it expires: its prints no longer reach the bus.
    const n = trades.length;
    feed.send([trade(1, T + 9, "6000.25"), trade(11, T + 9, "6050")]);
    await until(() => trades.length > n);
    await expectQuietFor(30, () =>
      expect(trades.slice(n).map((t) => [t.instrumentId, t.price])).toEqual([[11, 6050e9]]),
    );
    expect(svc.contracts().find((c) => c.symbol === "ES")).toMatchObject({ contract: "ESH7" });
  });

  test("a roll with positions open on the old contract waits: its prices keep flowing for them; it rolls once they are closed", async () => {
    const { feed, trades, log, svc } = await setup();
    let open = true;
    svc.holdRoll = async (root) => root === "ES" && open;
    const rolls: unknown[] = [];
    svc.onRoll((r) => void rolls.push(r));
    feed.send([trade(1, T + 1, "6000")]);
    await until(() => trades.length > 0);
    feed.remap("ES.v.0", INSTRUMENTS[3]!);
    (svc as unknown as { client: { resubscribe(): void } }).client.resubscribe();
    await until(() => rolls.length > 0);
    expect(rolls).toEqual([{ symbol: "ES", from: "ESZ6", to: "ESH7", state: "held" }]);
    expect(log.lines.find((l) => l.event === "feed.roll_held")).toMatchObject({
      symbol: "ES",
      from: "ESZ6",
      to: "ESH7",
    });
    const n = trades.length;
    feed.send([trade(1, T + 9, "6000.25"), trade(11, T + 9, "6050")]);
    await until(() => trades.length > n);
    await expectQuietFor(30, () =>
      expect(trades.slice(n).map((t) => [t.instrumentId, t.price])).toEqual([[1, 6000.25e9]]),
    );
    expect(svc.contracts().find((c) => c.symbol === "ES")).toMatchObject({
      contract: "ESZ6",
      next: { contract: "ESH7" },
    });
    // The last position is closed: within a second the symbol rolls.
    open = false;
    await until(() => rolls.length === 2, 3000);
    expect(rolls[1]).toEqual({ symbol: "ES", from: "ESZ6", to: "ESH7", state: "rolled" });
  });

  test("a restart while a roll waits: the held contract streams again by its own name, and only it prints until the positions are closed", async () => {
    // After the roll the gateway maps ES.v.0 to ESH7 for every new session.
    const rolled: InstrumentRef[] = [
      { instrumentId: 1, raw: "ESZ6", aliases: [] },
      { instrumentId: 11, raw: "ESH7", aliases: ["ES.c.0"] },
      INSTRUMENTS[1]!,
    ];
    const feeds: SessionFeed[] = [];
    gw = startFakeGateway({
      apiKeys: [KEY],
      onStart: (s) => void feeds.push(startSessionFeed(s, { instruments: rolled })),
    });
    const log = memoryLogger("debug");
    svc = new MarketDataService({ kind: "databento", apiKey: KEY, gateway: { host: gw.host, port: gw.port } }, log, [
      "ES",
      "MES",
    ]);
    let open = true;
    svc.holdRoll = async () => open;
    const rolls: unknown[] = [];
    svc.onRoll((r) => void rolls.push(r));
    svc.resumeHeld("ES", "ESZ6");
    const trades: TradeTick[] = [];
    svc.bus.subscribe({ trade: (t) => void trades.push(t) });
    await svc.start();
    await until(() => svc!.rootOf(1) === "ES" && svc!.rootOf(11) === "ES");
    expect(gw.lines.some((l) => l.includes("stype_in=raw_symbol") && l.includes("symbols=ESZ6"))).toBe(true);
    feeds[0]!.send([trade(11, T + 1, "6050"), trade(1, T + 1, "6000.25")]);
    await until(() => trades.length > 0);
    await expectQuietFor(30, () => expect(trades.map((t) => [t.instrumentId, t.price])).toEqual([[1, 6000.25e9]]));
    expect(svc.contracts().find((c) => c.symbol === "ES")).toMatchObject({
      contract: "ESZ6",
      next: { contract: "ESH7" },
    });
    expect(svc.heldContract("ES")).toBe("ESZ6");
    open = false;
    await until(() => rolls.length > 0, 3000);
    expect(rolls).toEqual([{ symbol: "ES", from: "ESZ6", to: "ESH7", state: "rolled" }]);
  });
});

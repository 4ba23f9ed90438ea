import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { decodeDbn } from "../market-data/dbn/decoder";
import { upsertBars, type ArchivedBar } from "../persistence/repositories/ohlcv-repo";
import { testDatabaseKind } from "../persistence/test-database";
import { addUser, createHarness, json, tokenClient, type Client, type Harness } from "./test-harness";

let h: Harness;
let api: Client;
// Recent bars, so the ATR (which refuses stale bars) sees them as current whenever this runs.
const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 60 * 60_000;
const N = 1e9;
const bars: ArchivedBar[] = Array.from({ length: 30 }, (_, i) => ({
  dataset: "SIM",
  symbol: "MES",
  startMs: T0 + i * 60_000,
  contract: "MESZ6",
  instrumentId: 900_001,
  open: (6000 + i * 0.25) * N,
  high: (6001 + i * 0.25) * N,
  low: (5999.5 + i * 0.25) * N,
  close: (6000.5 + i * 0.25) * N,
  volume: 10 + i,
  source: "databento",
}));

beforeAll(async () => {
  h = await createHarness();
  api = await tokenClient(h, (await addUser(h)).id);
  await upsertBars(h.db.db, bars);
});
afterAll(() => h.close());

const get = (path: string, client: Client = api) => h.fetch(path, json(client, "GET"));

describe(`market data API (${testDatabaseKind})`, () => {
  test("bars as JSON, CSV and DBN agree with what is stored; DBN decodes with our (Databento-compatible) decoder", async () => {
    const q = `from=${T0}&to=${new Date(T0 + 10 * 60_000).toISOString()}`;
    const j = (await (await get(`/api/v1/market/MES1!/bars?${q}`)).json()) as any;
    expect(j.bars.length).toBe(10);
    expect(j.bars[3]).toEqual({
      ts: T0 + 180_000,
      o: 6000.75,
      h: 6001.75,
      l: 6000.25,
      c: 6001.25,
      v: 13,
      src: "databento",
      contract: "MESZ6",
    });
    const csv = await get(`/api/v1/market/MES/bars?${q}&format=csv`);
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const lines = (await csv.text()).trim().split("\n");
    expect(lines[0]).toBe("ts_event,symbol,contract,instrument_id,open,high,low,close,volume,source");
    expect(lines[4]).toBe(
      `${new Date(T0 + 180_000).toISOString()},MES,MESZ6,900001,6000.750000000,6001.750000000,6000.250000000,6001.250000000,13,databento`,
    );
    const dbn = await get(`/api/v1/market/MES/bars?${q}&format=dbn`);
    expect(dbn.headers.get("content-disposition")).toContain(".dbn");
    const decoded = decodeDbn(new Uint8Array(await dbn.arrayBuffer()));
    expect(decoded.metadata?.symbols).toEqual(["MES.v.0"]);
    expect(decoded.records.length).toBe(10);
    expect(decoded.records[3]).toMatchObject({
      hd: { rtype: 0x21, instrument_id: 900_001, ts_event: BigInt(T0 + 180_000) * 1_000_000n },
      open: 6000_750_000_000n,
      volume: 13n,
    });
  });

  test("bad ranges, unknown and unarchived symbols get clear 4xx answers", async () => {
    expect((await get(`/api/v1/market/MES/bars?from=yesterday`)).status).toBe(400);
    const rev = await get(`/api/v1/market/MES/bars?from=${T0}&to=${T0 - 1}`);
    expect(rev.status).toBe(400);
    expect(((await rev.json()) as any).message).toContain("after from");
    expect((await get(`/api/v1/market/NOPE/bars?from=${T0}`)).status).toBe(404);
    const notArchived = await get(`/api/v1/market/YM/bars?from=${T0}`);
    expect(notArchived.status).toBe(404);
    expect(((await notArchived.json()) as any).message).toContain("ARCHIVE_SYMBOLS");
    expect((await get(`/api/v1/market/MES/atr?period=0`)).status).toBe(400);
  });

  test("ATR from the archive; unavailable with a reason where there is no data", async () => {
    const a = (await (await get(`/api/v1/market/MES/atr?period=14&method=simple&lookback=390`)).json()) as any;
    // Every bar: high-low = 1.5; gaps to the previous close are smaller, so TR = 1.5.
    expect(a).toMatchObject({ symbol: "MES", available: true, value: 1.5, period: 14, method: "simple" });
    const none = (await (await get(`/api/v1/market/MGC/atr`)).json()) as any;
    expect(none.available).toBe(false);
    expect(none.reason).toMatch(/needs 15/);
  });

  test("status and watch list; nothing without credentials", async () => {
    const s = (await (await get(`/api/v1/market/status`)).json()) as any;
    expect(s.feed.kind).toBe("simulated");
    expect(s.archive).toMatchObject({ dataset: "SIM" });
    const w = await h.fetch("/api/v1/market/watch", json(api, "POST", { symbols: ["MES", "ES"] }));
    expect(((await w.json()) as any).added).toEqual([]);
    expect((await h.fetch("/api/v1/market/watch", json(api, "POST", { symbols: [] }))).status).toBe(400);
    expect((await h.fetch("/api/v1/market/status")).status).toBe(401);
    expect((await h.fetch(`/api/v1/market/MES/bars?from=${T0}`)).status).toBe(401);
  });
});

import { metadataWith } from "../dbn/metadata";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeHistorical, type FakeHistorical } from "./fake-historical";
import { HistoricalClient, HistoricalError } from "./historical-client";

const KEY = "db-unittestapikey1234567890FFFFF";
// Any bytes do here: this test is about HTTP, not DBN (the DBN tests decode real files).
const payload = crypto.getRandomValues(new Uint8Array(300_000));
let fake: FakeHistorical;
const retries: { attempt: number; delayMs: number; status?: number }[] = [];
const sleeps: number[] = [];

function client(key = KEY) {
  return new HistoricalClient({
    apiKey: key,
    baseUrl: fake.url,
    retryBaseMs: 100,
    sleep: async (ms) => void sleeps.push(ms),
    onRetry: (r) => void retries.push(r),
  });
}

beforeAll(() => {
  fake = startFakeHistorical({
    apiKey: KEY,
    range: () => payload,
    cost: (p) => (p.get("schema") === "trades" ? 1.25 : 0.5),
    symbology: (p) => ({
      result: { [p.get("symbols")!]: [{ d0: "2025-04-07", d1: "2025-04-08", s: "42005347" }] },
      partial: [],
      not_found: [],
    }),
    chunkSize: 7000,
  });
});
afterAll(() => fake.stop());

async function drain(stream: ReadableStream<Uint8Array>) {
  const parts: Uint8Array[] = [];
  const reader = stream.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
  return { bytes: Buffer.concat(parts), chunks: parts.length };
}

describe("Historical client against the fake server", () => {
  const range = {
    dataset: "GLBX.MDP3",
    symbols: ["NQ.c.0"],
    schema: "ohlcv-1m",
    start: "2025-04-07",
    end: 1_744_070_400_000_000_000n,
    stypeIn: "continuous",
  };

  test("get_range streams the zstd body decompressed, in pieces", async () => {
    const r = await client().getRange(range);
    const { bytes, chunks } = await drain(r.body);
    expect(Buffer.compare(bytes, Buffer.from(payload))).toBe(0);
    expect(chunks).toBeGreaterThan(1);
    const req = fake.requests.at(-1)!;
    expect(req.authorized).toBe(true);
    expect(Object.fromEntries(req.params)).toMatchObject({
      dataset: "GLBX.MDP3",
      symbols: "NQ.c.0",
      schema: "ohlcv-1m",
      start: "2025-04-07",
      end: "1744070400000000000",
      stype_in: "continuous",
      stype_out: "instrument_id",
      encoding: "dbn",
      compression: "zstd",
    });
    expect(JSON.stringify([...req.params])).not.toContain(KEY);
  });

  test("429 waits Retry-After, 5xx backs off, then succeeds", async () => {
    retries.length = 0;
    sleeps.length = 0;
    fake.faults.push({ status: 429, retryAfter: 2 }, { status: 503 }, { status: 500 });
    expect(await client().getCost(range)).toBe(0.5);
    expect(retries.map((r) => r.status)).toEqual([429, 503, 500]);
    expect(sleeps[0]).toBe(2000);
    expect(sleeps[1]).toBeGreaterThanOrEqual(200);
    expect(sleeps[2]).toBeGreaterThanOrEqual(400);
    expect(sleeps[2]).toBeLessThanOrEqual(500);
  });

  test("gives up after the retry budget with the server's message", async () => {
    fake.faults.push({ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 });
    const err = await client()
      .listSchemas("GLBX.MDP3")
      .catch((e) => e);
    expect(err).toBeInstanceOf(HistoricalError);
    expect(err.status).toBe(500);
  });

  test("a bad key fails at once, clearly, without retries", async () => {
    retries.length = 0;
    const err = (await client("db-wrongkeywrongkeywrongkeyAAAAA")
      .listSchemas("GLBX.MDP3")
      .catch((e) => e)) as HistoricalError;
    expect(err.status).toBe(401);
    expect(err.message).toBe("Databento Historical 401: Authentication failed. (check the Databento API key)");
    expect(err.errorCase).toBe("auth_invalid_key");
    expect(err.message).not.toContain("wrongkey");
    expect(retries).toEqual([]);
  });

  test("a missing parameter surfaces the server's words", async () => {
    const err = (await client()
      .getCost({ ...range, schema: "" })
      .catch((e) => e)) as HistoricalError;
    expect(err.status).toBe(422);
    expect(err.message).toContain("Missing required parameter 'schema'");
  });

  test("metadata and symbology", async () => {
    expect(await client().listSchemas("GLBX.MDP3")).toContain("ohlcv-1m");
    expect(await client().getCost({ ...range, schema: "trades" })).toBe(1.25);
    const s = await client().resolveSymbology({
      dataset: "GLBX.MDP3",
      symbols: ["NQ.c.0"],
      stypeIn: "continuous",
      stypeOut: "instrument_id",
      startDate: "2025-04-07",
    });
    expect(s.result["NQ.c.0"]).toEqual([{ d0: "2025-04-07", d1: "2025-04-08", s: "42005347" }]);
  });

  test("an unreachable server is an error after retries, not a hang", async () => {
    const c = new HistoricalClient({
      apiKey: KEY,
      baseUrl: "http://127.0.0.1:1",
      maxRetries: 1,
      sleep: async () => {},
    });
    const err = (await c.listSchemas("GLBX.MDP3").catch((e) => e)) as HistoricalError;
    expect(err.message).toStartWith("Databento Historical unreachable");
  });
});

describe("get_range through the DBN decoder", () => {
  test("records from DBN data come back decoded, filtered by symbol and time, streamed", async () => {
    const { RType } = await import("../dbn/constants");
    const { decodeDbnStream } = await import("../dbn/decoder");
    const { rangeFromRecords } = await import("./fake-historical");
    const T = 1_743_984_000_000_000_000n; // 2025-04-07
    const bars = Array.from({ length: 600 }, (_, i) => ({
      hd: {
        rtype: RType.OHLCV_1M,
        publisher_id: 1,
        instrument_id: i % 2 ? 42 : 43,
        ts_event: T + BigInt(Math.floor(i / 2)) * 60_000_000_000n,
      },
      open: 17_000_000_000_000n,
      high: 17_001_000_000_000n,
      low: 16_999_000_000_000n,
      close: 17_000_250_000_000n,
      volume: BigInt(i),
    }));
    const meta = metadataWith({
      schema: 6,
      start: T,
      stype_in: 3,
    });
    const hist = startFakeHistorical({
      apiKey: KEY,
      range: rangeFromRecords(meta, bars, (s) => (s === "NQ.c.0" ? 42 : undefined)),
      chunkSize: 500,
    });
    try {
      const c = new HistoricalClient({ apiKey: KEY, baseUrl: hist.url });
      const r = await c.getRange({
        dataset: "GLBX.MDP3",
        symbols: ["NQ.c.0"],
        schema: "ohlcv-1m",
        start: T + 60_000_000_000n,
        end: T + 120n * 60_000_000_000n,
        stypeIn: "continuous",
      });
      const items = [];
      for await (const item of decodeDbnStream(r.body)) items.push(item);
      const records = items.filter((x) => "hd" in x) as { hd: { instrument_id: number; ts_event: bigint } }[];
      expect(records.length).toBe(119);
      expect(records.every((x) => x.hd.instrument_id === 42)).toBe(true);
      expect(records[0]!.hd.ts_event).toBe(T + 60_000_000_000n);
    } finally {
      await hist.stop();
    }
  });
});

describe("long and broken streams, plain bodies, the available range", () => {
  // Small bodies in many chunks, with a short inactivity timeout, so the tests take a second.
  const body = crypto.getRandomValues(new Uint8Array(12_000));
  let hist: FakeHistorical;
  beforeAll(() => {
    hist = startFakeHistorical({
      apiKey: KEY,
      range: () => body,
      chunkSize: 1000,
      datasetRange: () => ({ start: "2010-06-06T00:00:00.000000000Z", end: "2025-04-07T20:00:00.000000000Z" }),
    });
  });
  afterAll(() => hist.stop());
  const quick = () => new HistoricalClient({ apiKey: KEY, baseUrl: hist.url, timeoutMs: 250, maxRetries: 0 });
  const range = {
    dataset: "GLBX.MDP3",
    symbols: ["NQ.c.0"],
    schema: "trades",
    start: "2025-04-07T14:00:00Z",
    end: "2025-04-07T15:00:00Z",
    stypeIn: "continuous",
  };

  test("a slow stream completes: the timeout is per read (never 250 ms without bytes), not for the whole body", async () => {
    hist.faults.push({ path: "get_range", pauseMs: 150 });
    const t0 = performance.now();
    const { bytes } = await drain((await quick().getRange(range)).body);
    // Far longer in all than the 250 ms a total deadline would have allowed.
    expect(performance.now() - t0).toBeGreaterThan(1000);
    expect(Buffer.compare(bytes, Buffer.from(body))).toBe(0);
  });

  test("a stream silent for longer than the inactivity timeout fails at the timeout, saying it stalled", async () => {
    hist.faults.push({ path: "get_range", pauseMs: 3000 });
    const t0 = performance.now();
    const err = (await drain((await quick().getRange(range)).body).catch((e) => e)) as HistoricalError;
    expect(err).toBeInstanceOf(HistoricalError);
    expect(err.message).toMatch(/^Databento Historical: no data for 0\.25 s after \d+ bytes; the stream stalled$/);
    expect(err.errorCase).toBe("stream_stalled");
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  test("a plain (not zstd) get_range body is handed over as it came", async () => {
    hist.faults.push({ path: "get_range", plain: true });
    const { bytes } = await drain((await quick().getRange(range)).body);
    expect(Buffer.compare(bytes, Buffer.from(body))).toBe(0);
  });

  test("an end past the dataset's available range is refused as Databento does: 422, with the case and both ranges", async () => {
    const res = await fetch(`${hist.url}/v0/timeseries.get_range`, {
      method: "POST",
      headers: {
        authorization: "Basic " + Buffer.from(`${KEY}:`).toString("base64"),
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({
        dataset: "GLBX.MDP3",
        symbols: "NQ.c.0",
        schema: "trades",
        start: "2025-04-07T19:00:00Z",
        end: "2025-04-07T21:00:00Z",
      }),
    });
    expect(res.status).toBe(422);
    const { detail } = (await res.json()) as {
      detail: { case: string; status_code: number; payload: Record<string, string> };
    };
    expect(detail).toMatchObject({
      case: "data_end_after_available_end",
      status_code: 422,
      payload: {
        dataset: "GLBX.MDP3",
        end: "2025-04-07T21:00:00.000000000Z",
        available_end: "2025-04-07T20:00:00.000000000Z",
      },
    });
    const err = (await quick()
      .getCost({ ...range, end: "2025-04-07T21:00:00Z" })
      .catch((e) => e)) as HistoricalError;
    expect([err.status, err.errorCase]).toEqual([422, "data_end_after_available_end"]);
    expect(await quick().availableEnd("GLBX.MDP3", "trades")).toBe(Date.parse("2025-04-07T20:00:00Z"));
  });
});

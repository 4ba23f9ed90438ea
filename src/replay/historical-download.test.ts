import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memoryLogger } from "../log/logger";
import { rangeFromRecords, startFakeHistorical, type FakeHistorical } from "../market-data/databento/fake-historical";
import { HistoricalClient } from "../market-data/databento/historical-client";
import type { DatabaseHandle } from "../persistence/connect";
import type { Actor } from "../persistence/events";
import { createTestDatabase, testDatabaseKind } from "../persistence/test-database";
import type { AppError } from "../shared/app-error";
import { ReplayService } from "./replay-service";
import { tapeMetadata, tapeRecords, TAPE_IDS, walk } from "./test-tape";

const KEY = "db-replaydownloadkey0000000000000";
const T0 = Date.UTC(2025, 2, 3, 15, 0, 0);
/** Where the fake's GLBX.MDP3 data ends: 90 minutes into the tape. */
const AVAILABLE_END = T0 + 90 * 60_000;
const prints = [
  ...walk("MES", T0, 30_000, { start: 5000, tick: 0.25, everyMs: 200 }),
  ...walk("MNQ", T0, 30_000, { start: 21000, tick: 0.25, everyMs: 200, seed: 3 }),
].sort((a, b) => a.tsMs - b.tsMs || a.symbol.localeCompare(b.symbol));
const actor: Actor = { kind: "user", label: "test", userId: null };

let db: DatabaseHandle;
let fake: FakeHistorical;
let client: HistoricalClient;
let replay: ReplayService;
let userId: number;
const published: { t: string; state: string; message?: string }[] = [];
const logs = memoryLogger();

beforeAll(async () => {
  db = await createTestDatabase();
  userId = (
    await db.db
      .insertInto("users")
      .values({ username: "downloader", password_hash: "x" })
      .returning("id")
      .executeTakeFirstOrThrow()
  ).id;
  fake = startFakeHistorical({
    apiKey: KEY,
    chunkSize: 16_384,
    cost: () => 0.42,
    range: rangeFromRecords(tapeMetadata(prints), tapeRecords(prints), (s) => TAPE_IDS[s.replace(/\.[cvn]\.0$/, "")]),
    datasetRange: () => ({ start: "2010-06-06T00:00:00.000000000Z", end: new Date(AVAILABLE_END).toISOString() }),
  });
  // Short timeouts and no waits between retries keep the test fast; production uses 100 s.
  client = new HistoricalClient({ apiKey: KEY, baseUrl: fake.url, timeoutMs: 300, sleep: async () => {} });
  replay = new ReplayService(db.db, {
    dataDir: mkdtempSync(join(tmpdir(), "replay-download-")),
    archiveDataset: "SIM",
    historical: () => client,
    historicalDataset: "GLBX.MDP3",
    publish: (_u, m) => void published.push(JSON.parse(m)),
    view: () => null,
    logger: logs,
  });
});
afterAll(async () => {
  await fake.stop();
  await db.close();
});

const ranges = () => fake.requests.filter((r) => r.path.endsWith("get_range"));
const body = (endMs: number) => ({ schema: "trades", symbols: ["MES", "MNQ"], startMs: T0, endMs, confirmCost: 0.42 });

describe(`replay downloads from Databento Historical (${testDatabaseKind})`, () => {
  test("a download cut at 60 % resumes from its last record; the file is byte for byte the uncut records", async () => {
    const endMs = T0 + 60 * 60_000;
    const uncut = new Uint8Array(
      await new Response(
        (
          await client.getRange({
            dataset: "GLBX.MDP3",
            symbols: ["MES.c.0", "MNQ.c.0"],
            schema: "trades",
            start: new Date(T0),
            end: new Date(endMs),
            stypeIn: "continuous",
          })
        ).body,
      ).arrayBuffer(),
    );
    const zstdSize = Bun.zstdCompressSync(uncut).length;
    const before = ranges().length;
    fake.faults.push({ path: "get_range", cutAfterBytes: Math.floor(zstdSize * 0.6) });
    const row = await replay.download(userId, body(endMs), actor);
    const file = await Bun.file(row.path).bytes();
    expect(Buffer.compare(Buffer.from(file), Buffer.from(uncut))).toBe(0);
    expect(row.records).toBe(36_000);
    const [first, again] = ranges().slice(before);
    expect(Number(BigInt(again!.params.get("start")!) / 1_000_000n)).toBeGreaterThan(T0 + 20 * 60_000);
    expect(again!.params.get("end")).toBe(first!.params.get("end"));
    expect(
      published.some(
        (m) => m.t === "replay-download" && m.state === "resuming" && /stream broke/.test(m.message ?? ""),
      ),
    ).toBe(true);
    expect(logs.lines.some((l) => l.event === "replay.download_resumed")).toBe(true);
  });

  test("an end past the dataset's available range is cut to it, with a message, in the quote and the download", async () => {
    const q = await replay.quote(body(T0 + 3 * 3_600_000));
    expect(q.request.endMs).toBe(AVAILABLE_END);
    expect(q.notice).toBe(
      "Databento has GLBX.MDP3 trades data only up to 2025-03-03 10:30 CT, so the range ends there instead of at 2025-03-03 12:00 CT.",
    );
    expect(fake.requests.at(-1)!.params.get("end")).toBe(new Date(AVAILABLE_END).toISOString());
    const row = await replay.download(userId, body(T0 + 3 * 3_600_000), actor);
    expect(row.notice).toBe(q.notice);
    expect(ranges().at(-1)!.params.get("end")).toBe(new Date(AVAILABLE_END).toISOString());
    expect(row.endMs).toBeLessThan(AVAILABLE_END);
    // A range wholly past the data is refused, saying why.
    const late = (await replay
      .quote({ ...body(T0 + 3 * 3_600_000), startMs: AVAILABLE_END + 60_000 })
      .catch((e) => e)) as AppError;
    expect([late.status, late.message]).toEqual([
      400,
      "body.startMs: Databento has GLBX.MDP3 trades data only up to 2025-03-03 10:30 CT; the range starts after that",
    ]);
  });
});

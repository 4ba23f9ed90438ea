import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startEngine } from "../app/engine-startup";
import { startFakeHistorical, type FakeHistorical } from "../market-data/databento/fake-historical";
import { HistoricalClient } from "../market-data/databento/historical-client";
import { upsertBars, type ArchivedBar } from "../persistence/repositories/ohlcv-repo";
import { testDatabaseKind } from "../persistence/test-database";
import { tradesDbn, walk } from "../replay/test-tape";
import { addUser, createHarness, request, tokenClient, type Client, type Harness } from "./test-harness";
import { until } from "../shared/testing";

let h: Harness;
/** The engine as the server starts it (with shard leases on Postgres). */
let stopEngine: () => Promise<void>;
let api: Client;
let other: Client;
let userId: number;
let fake: FakeHistorical;
let cost = 1.23;
const T0 = Date.UTC(2025, 2, 3, 15, 0, 0);

/** Three hours of MES bars: flat, a 3-point rally at 16:00 UTC, then flat again. */
function bars(): ArchivedBar[] {
  const out: ArchivedBar[] = [];
  for (let i = 0; i < 180; i++) {
    const base = i < 60 ? 5000 : i < 66 ? 5000 + (i - 59) * 0.5 : 5003;
    out.push({
      dataset: "SIM",
      symbol: "MES",
      startMs: T0 + i * 60_000,
      contract: "MESH5",
      instrumentId: 1,
      open: base * 1e9,
      high: (base + 0.25) * 1e9,
      low: (base - 0.25) * 1e9,
      close: base * 1e9,
      volume: 40,
      source: "trades",
    });
  }
  return out;
}

beforeAll(async () => {
  h = await createHarness();
  userId = (await addUser(h)).id;
  api = await tokenClient(h, userId);
  other = await tokenClient(h, (await addUser(h)).id);
  stopEngine = await startEngine(h.ctx, 0);
  await h.ctx.replay.start(0);
  await upsertBars(h.ctx.db, bars());
  fake = startFakeHistorical({
    apiKey: "db-replaytestkey000000000000000000",
    cost: () => cost,
    range: () => tradesDbn(walk("MNQ", T0, 500, { start: 21000, tick: 0.25 })),
  });
  h.ctx.archive.useHistorical(
    new HistoricalClient({ apiKey: "db-replaytestkey000000000000000000", baseUrl: fake.url, maxRetries: 0 }),
  );
});
afterAll(async () => {
  await h.ctx.replay.stop();
  await stopEngine();
  await fake.stop();
  await h.close();
});

const call = (method: string, path: string, body?: unknown, client = api) => request(h, client, method, path, body);

describe(`replay API (${testDatabaseKind})`, () => {
  let id: number;
  let account: string;

  test("a replay of the archive gets its own account; bad requests are refused with the field", async () => {
    expect(
      (await call("POST", "/api/v1/replays", { source: "archive", symbols: ["MES"], fromMs: T0 + 3_600_000, toMs: T0 }))
        .body.message,
    ).toMatch(/toMs/);
    expect(
      (await call("POST", "/api/v1/replays", { source: "archive", symbols: ["XYZ"], fromMs: T0, toMs: T0 + 1 })).status,
    ).toBe(400);
    expect(
      (await call("POST", "/api/v1/replays", { source: "archive", symbols: ["GC"], fromMs: T0, toMs: T0 + 3_600_000 }))
        .body.message,
    ).toMatch(/no bars/);
    const r = await call("POST", "/api/v1/replays", {
      source: "archive",
      symbols: ["MES"],
      fromMs: T0,
      toMs: T0 + 3 * 3_600_000,
    });
    expect(r.status).toBe(200);
    ({ id, account } = r.body);
    expect(account).toBe(`replay-${id}`);
    const s = await call("GET", `/api/v1/replays/${id}`);
    expect(s.body).toMatchObject({ state: "paused", speed: 1, nowMs: T0, symbols: ["MES"] });
    // Someone else's replay does not exist for you.
    expect((await call("GET", `/api/v1/replays/${id}`, undefined, other)).status).toBe(404);
    expect((await call("POST", `/api/v1/replays/${id}/control`, { action: "play" }, other)).status).toBe(404);
  });

  test("trade in it with a TP ladder; the replay's prints fill it, in replay time; the live engine never sees it", async () => {
    const pos = `/api/v1/accounts/${account}/positions/MES`;
    expect((await call("POST", `${pos}/orders`, { side: "buy", qty: 2 })).body.message).toMatch(/no price yet/);
    expect((await call("POST", `/api/v1/replays/${id}/control`, { action: "step", unit: "bar" })).status).toBe(200);
    const o = await call("POST", `${pos}/orders`, {
      side: "buy",
      qty: 2,
      bracket: {
        ladder: [{ qty: 1, target: { unit: "points", value: 2 } }],
        stop: { kind: "fixed", initial: { unit: "points", value: 5 } },
      },
    });
    expect(o.status).toBe(200);
    expect(o.body.position).toMatchObject({ side: "long", qty: 2, avgEntry: 5000 });
    // A replay account cannot be pointed at a webhook.
    expect((await call("PUT", `/api/v1/accounts/${account}/execution`, { route: "webhook" })).status).toBe(400);
    // Seeking back with an open trade would make its prices jump.
    expect((await call("POST", `/api/v1/replays/${id}/control`, { action: "seek", toMs: T0 })).status).toBe(409);
    expect((await call("POST", `/api/v1/replays/${id}/control`, { action: "speed", speed: 7 })).status).toBe(400);
    expect((await call("POST", `/api/v1/replays/${id}/control`, { action: "speed", speed: "max" })).status).toBe(200);
    expect((await call("POST", `/api/v1/replays/${id}/control`, { action: "play" })).status).toBe(200);
    for (let i = 0; i < 50 && h.ctx.replay.session(userId, id).player.state !== "ended"; i++)
      h.ctx.replay.tick(Date.now());
    // The end closes what is still open (the second contract) and writes the summary.
    let s = await call("GET", `/api/v1/replays/${id}`);
    await until(async () => (s = await call("GET", `/api/v1/replays/${id}`)).body.summary?.trades > 0, 1000, 10);
    expect(s.body.state).toBe("ended");
    expect(s.body.summary.trades).toBe(1);
    expect(s.body.summary.exitReasons).toEqual({ "take profit": 1, "replay end": 1 });
    expect(s.body.summary.byTrade[0].reasons.at(-1)).toMatch(/exit all by replay ended/);
    const events = (await call("GET", `/api/v1/accounts/${account}/events?symbol=MES`)).body.events as {
      reason: string;
      ts: string;
    }[];
    const tp = events.find((e) => /^TP1 filled 1 @ 5002.00/.test(e.reason))!;
    expect(tp).toBeDefined();
    // Stamped in replay time: the rally of 16:00 UTC, not today.
    expect(Date.parse(tp.ts)).toBeGreaterThanOrEqual(T0 + 3_600_000);
    expect(Date.parse(tp.ts)).toBeLessThan(T0 + 2 * 3_600_000);
    // The live engine has no position and does not even know the account.
    expect(h.ctx.engine.engine.allPositions().filter((p) => p.qty > 0)).toEqual([]);
    const acct = await h.ctx.db
      .selectFrom("accounts")
      .select("id")
      .where("name", "=", account)
      .executeTakeFirstOrThrow();
    expect(h.ctx.engine.account(acct.id)).toBeUndefined();
    expect(
      (await h.ctx.db.selectFrom("engine_orders").select("id").where("account_id", "=", acct.id).execute()).length,
    ).toBe(0);
  });

  test("the journal keeps replay trades apart, tagged replay", async () => {
    const real = await call("GET", "/api/v1/journal");
    expect(real.body.trades).toEqual([]);
    const practice = await call("GET", "/api/v1/journal?tag=replay");
    expect(practice.body.trades.length).toBe(1);
    expect(practice.body.trades[0].tags).toEqual(["replay", `replay-${id}`]);
    expect(practice.body.trades[0].account).toBe(account);
  });

  test("a DBN upload is checked before it is kept; a corrupt one changes nothing", async () => {
    const good = tradesDbn(walk("MES", T0, 400, { start: 5000, tick: 0.25 }));
    const before = (await call("GET", "/api/v1/replay-files")).body.files.length;
    const bad = await h.fetch("/api/v1/replay-files", {
      method: "POST",
      headers: { ...api.headers, "x-file-name": "cut.dbn" },
      body: good.slice(0, good.length - 10),
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toMatch(/truncated record.*at byte \d+/);
    const junk = await h.fetch("/api/v1/replay-files", {
      method: "POST",
      headers: { ...api.headers, "x-file-name": "notes.txt" },
      body: "not a dbn file at all",
    });
    expect(junk.status).toBe(400);
    expect((await call("GET", "/api/v1/replay-files")).body.files.length).toBe(before);
    const form = new FormData();
    form.append("file", new Blob([new Uint8Array(Bun.zstdCompressSync(good))]), "mes.trades.dbn.zst");
    const ok = await h.fetch("/api/v1/replay-files", { method: "POST", headers: api.headers, body: form });
    expect(ok.status).toBe(200);
    const file = await ok.json();
    expect(file).toMatchObject({
      kind: "upload",
      name: "mes.trades.dbn.zst",
      schema: "trades",
      symbols: ["MES"],
      records: 400,
    });
    expect(file.path).toBeUndefined();
    const r = await call("POST", "/api/v1/replays", { source: "file", fileId: file.id });
    expect(r.status).toBe(200);
    expect(
      (await call("POST", `/api/v1/replays/${r.body.id}/control`, { action: "step", unit: "record" })).body.progress,
    ).toBe(1 / 400);
  });

  test("a Historical range: the cost first, the download only once that cost is confirmed", async () => {
    const range = { schema: "trades", symbols: ["MNQ"], startMs: T0, endMs: T0 + 3_600_000 };
    const q = await call("POST", "/api/v1/replay-files/quote", range);
    expect(q.body.cost).toBe(1.23);
    expect(fake.requests.filter((r) => r.path.endsWith("get_range")).length).toBe(0);
    cost = 1.5; // the price moved since the quote
    const stale = await call("POST", "/api/v1/replay-files/download", { ...range, confirmCost: 1.23 });
    expect(stale.status).toBe(409);
    expect(stale.body.message).toMatch(/\$1\.50/);
    expect(fake.requests.filter((r) => r.path.endsWith("get_range")).length).toBe(0);
    expect((await call("POST", "/api/v1/replay-files/download", range)).status).toBe(400);
    const d = await call("POST", "/api/v1/replay-files/download", { ...range, confirmCost: 1.5 });
    expect(d.status).toBe(200);
    expect(d.body).toMatchObject({ kind: "historical", schema: "trades", symbols: ["MNQ"], records: 500, cost: 1.5 });
    const r = await call("POST", "/api/v1/replays", { source: "file", fileId: d.body.id });
    expect(r.body.symbols).toEqual(["MNQ"]);
  });

  test("close: the account's session is gone, its trades stay in the journal", async () => {
    expect((await call("POST", `/api/v1/replays/${id}/control`, { action: "close" })).body.state).toBe("closed");
    expect((await call("GET", `/api/v1/replays/${id}`)).status).toBe(404);
    expect(
      (await call("POST", `/api/v1/accounts/${account}/positions/MES/orders`, { side: "buy", qty: 1 })).status,
    ).toBe(409);
    expect((await call("GET", "/api/v1/journal?tag=replay")).body.trades.length).toBe(1);
    const list = (await call("GET", "/api/v1/replays")).body.replays as { id: number; state: string; open: boolean }[];
    expect(list.find((s) => s.id === id)).toMatchObject({ state: "closed", open: false });
  });

  test("12 replay starts at once: the limit of 5 open replays holds (was: all 12 opened)", async () => {
    const starts = await Promise.all(
      Array.from({ length: 12 }, () =>
        call(
          "POST",
          "/api/v1/replays",
          { source: "archive", symbols: ["MES"], fromMs: T0, toMs: T0 + 3_600_000 },
          other,
        ),
      ),
    );
    expect(starts.filter((r) => r.status === 200).length).toBe(5);
    expect(starts.filter((r) => r.status === 409).length).toBe(7);
    for (const r of starts.filter((x) => x.status === 200))
      await call("POST", `/api/v1/replays/${r.body.id}/control`, { action: "close" }, other);
  });
});

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testDatabaseKind } from "../persistence/test-database";
import {
  addUser,
  createHarness,
  json,
  request,
  sessionClient,
  tokenClient,
  type Client,
  type Harness,
  printAt,
  settle as settleEngine,
} from "./test-harness";
import { until } from "../shared/testing";

let h: Harness;
let api: Client;
let userId: number;
const P = (s: string) => Number(s) * 1e9;

beforeAll(async () => {
  // The engine as the server starts it (with shard leases on Postgres).
  h = await createHarness({}, { engine: true });
  userId = (await addUser(h)).id;
  api = await tokenClient(h, userId);
});
afterAll(() => h.close());

const call = (method: string, path: string, body?: unknown, client = api) => request(h, client, method, path, body);

/** A print from the feed, and whatever the engine and the paper broker do about it. */
async function print(symbol: string, price: string) {
  await printAt(h, symbol, P(price));
}
const settle = () => settleEngine(h);

const base = "/api/v1/accounts/paper/positions";

describe(`trading API over the engine (${testDatabaseKind})`, () => {
  test("no price yet: a market order waits a moment for the first print (right after a start), then is refused with the reason", async () => {
    const t0 = Date.now();
    const r = await call("POST", `${base}/MES/orders`, { side: "buy", qty: 1 });
    expect(r.status).toBe(409);
    expect(r.body.message).toContain("no price yet");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2_900);
    expect(h.ctx.engine.engine.position(1, "MES")?.qty ?? 0).toBe(0);
    // The print comes while the order waits: it is placed at that print.
    const waiting = call("POST", `${base}/M2K/orders`, { side: "buy", qty: 1 });
    await Bun.sleep(150);
    await print("M2K", "2000");
    const ok = await waiting;
    expect(ok.status).toBe(200);
    await settle();
    expect((await call("GET", `${base}/M2K`)).body.position).toMatchObject({ side: "long", qty: 1, avgEntry: 2000 });
    expect((await call("POST", `${base}/M2K/exit`, {})).status).toBe(200);
    await settle();
  });

  test("buy with a bracket on paper: position, stop, ladder, timer; a TP filled by the feed shows as filled with its reason", async () => {
    await print("MES", "6000");
    const r = await call("POST", `${base}/MES1!/orders`, {
      side: "buy",
      qty: 3,
      bracket: {
        stop: { kind: "fixed", initial: { unit: "points", value: 3 } },
        ladder: [
          { qty: 1, target: { unit: "ticks", value: 8 } },
          { qty: 1, target: { unit: "points", value: "4.5" } },
        ],
        timer: { seconds: 300, action: "exit" },
      },
    });
    expect(r.status).toBe(200);
    await settle();
    const p = (await call("GET", `${base}/MES`)).body.position;
    expect(p).toMatchObject({
      side: "long",
      qty: 3,
      avgEntry: 6000,
      stop: { kind: "fixed", price: 5997, status: "armed" },
      timer: { action: "exit", phase: "running" },
    });
    expect(p.ladder.map((l: any) => [l.price, l.status])).toEqual([
      [6002, "armed"],
      [6004.5, "armed"],
    ]);
    await print("MES", "6002.25");
    await print("MES", "6002.25");
    const after = (await call("GET", `${base}/MES`)).body.position;
    expect(after.qty).toBe(2);
    // A take-profit fills at its level, not at the print beyond it (docs/trading-rules.md R2.2).
    expect(after.ladder[0]).toMatchObject({ status: "filled", fillPrice: 6002 });
    const events = (await call("GET", "/api/v1/accounts/paper/events?symbol=MES")).body.events.map(
      (e: any) => e.reason,
    );
    expect(events).toContain("TP1 filled 1 @ 6002.00 (P&L $10.00)");
    expect(events.some((e: string) => e.startsWith("TP1 6002.00 reached (print 6002.25) → exit 1"))).toBe(true);
    const orders = await h.db.db
      .selectFrom("engine_orders")
      .select(["purpose", "status", "filled", "qty"])
      .where("purpose", "=", "tp")
      .execute();
    expect(orders).toEqual([{ purpose: "tp", status: "filled", filled: 1, qty: 1 }]);
  });

  test("a stale edit is answered 409 with the current state; bad bodies get 400 naming the field", async () => {
    const cur = (await call("GET", `${base}/MES`)).body.position;
    const ok = await call("PUT", `${base}/MES/stop`, {
      stop: { kind: "trailing", initial: { unit: "points", value: 2 }, trailBy: { unit: "points", value: 2 } },
      version: cur.version,
    });
    expect(ok.status).toBe(200);
    const stale = await call("PUT", `${base}/MES/stop`, {
      stop: { kind: "fixed", initial: { unit: "points", value: 5 } },
      version: cur.version,
    });
    expect(stale.status).toBe(409);
    expect(stale.body.current.stop.kind).toBe("trailing");
    expect(stale.body.current.version).toBe(ok.body.position.version);
    for (const [body, field] of [
      [{ side: "hold", qty: 1 }, "body.side"],
      [{ side: "buy", qty: 1.5 }, "body.qty"],
      [{ side: "buy", qty: 1, type: "limit" }, "body.limitPrice"],
      [{ side: "buy", qty: 1, type: "limit", limitPrice: "6000.1234567891" }, "body.limitPrice"],
    ] as const) {
      const r = await call("POST", `${base}/MES/orders`, body);
      expect(r.status).toBe(400);
      expect(r.body.message).toStartWith(field);
    }
    const ladder = await call("PUT", `${base}/MES/ladder`, {
      levels: [{ qty: 5, target: { unit: "points", value: 1 } }],
    });
    expect(ladder.status).toBe(400);
    expect(ladder.body.message).toContain("exceed the position (2)");
    expect((await call("PUT", `${base}/NOPE/ladder`, { levels: [] })).status).toBe(404);
    expect((await call("GET", "/api/v1/accounts/someone-else/events")).status).toBe(404);
  });

  test("exit all closes the trade into the journal with its reasons; CSV export; sizing", async () => {
    await print("MES", "6003");
    expect((await call("POST", `${base}/MES/exit`, {})).status).toBe(200);
    await settle();
    const j = (await call("GET", "/api/v1/journal?account=paper&symbol=MES")).body;
    expect(j.trades.length).toBe(1);
    // 1 @ +2.00 (TP1 at its level) and 2 @ +3.00 on MES ($5 a point): 10 + 30 = 40.
    expect(j.trades[0]).toMatchObject({ symbol: "MES", side: "long", qty: 3, entry: 6000, net: 40 });
    expect(j.trades[0].exitReasons.some((r: string) => r.startsWith("exit all by"))).toBe(true);
    expect(j.summary).toMatchObject({ trades: 1, wins: 1, net: 40 });
    const csv = (await call("GET", "/api/v1/journal?format=csv")).body as string;
    expect(csv.split("\n")[0]).toBe(
      "trade_id,account,symbol,side,qty,entry,exit,opened_at,closed_at,realized,commissions,net,exit_reasons,tags,opened_at_ct,closed_at_ct",
    );
    // Each time twice: UTC, then the exchange's clock as the pages show it.
    expect(csv.split("\n")[1]).toMatch(
      /,\d{4}-\d\d-\d\dT[\d:.]+Z,\d{4}-\d\d-\d\dT[\d:.]+Z,.*,\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/,
    );
    expect(csv).toContain(",MES,long,3,6000,");
    const s = (await call("GET", "/api/v1/sizing?symbol=ES&risk=500&stopPoints=4")).body;
    expect(s.mix).toEqual([
      { root: "ES", qty: 2 },
      { root: "MES", qty: 5 },
    ]);
    expect(s.totalRisk).toBe(500);
  });

  test("a resting entry limit is cancelled by its id (R1.6); a TP's order, a gone order and a bad id are refused", async () => {
    await print("MNQ", "21000");
    const placed = await call("POST", `${base}/MNQ/orders`, {
      side: "buy",
      qty: 2,
      type: "limit",
      limitPrice: "20990",
    });
    expect(placed.status).toBe(200);
    await settle();
    const working = (await call("GET", `${base}/MNQ`)).body.position.working;
    expect(working).toMatchObject([{ purpose: "entry", side: "buy", qty: 2, limitPrice: 20990, state: "resting" }]);
    const id = encodeURIComponent(working[0].orderId);
    const r = await call("DELETE", `${base}/MNQ/orders/${id}`);
    expect(r.status).toBe(200);
    expect(r.body.position.working).toEqual([]);
    await print("MNQ", "20989");
    expect((await call("GET", `${base}/MNQ`)).body.position.qty).toBe(0);
    const again = await call("DELETE", `${base}/MNQ/orders/${id}`);
    expect(again.status).toBe(404);
    expect(again.body.message).toContain("no working order");
    const bad = await call("DELETE", `${base}/MNQ/orders/nope`);
    expect(bad.status).toBe(400);
    const events = (await call("GET", "/api/v1/accounts/paper/events?symbol=MNQ")).body.events;
    expect(events.find((e: { kind: string }) => e.kind === "order.cancelled").reason).toContain("cancelled by");
  });

  test("a retried request with the same Idempotency-Key is applied once", async () => {
    await print("MGC", "4000");
    const send = () =>
      h.fetch(
        "/api/v1/accounts/paper/positions/MGC/orders",
        json(api, "POST", { side: "buy", qty: 1 }, { "idempotency-key": "retry-1" }),
      );
    expect((await send()).status).toBe(200);
    expect((await send()).status).toBe(200);
    await settle();
    expect((await call("GET", `${base}/MGC`)).body.position.qty).toBe(1);
    const bad = await h.fetch(
      "/api/v1/accounts/paper/positions/MGC/orders",
      json(api, "POST", { side: "buy", qty: 1 }, { "idempotency-key": "é" }),
    );
    expect(bad.status).toBe(400);
  });

  test("a live account without a webhook URL: the order is rejected with the reason and no position appears", async () => {
    await print("MNQ", "21000");
    expect((await call("POST", "/api/v1/accounts/live/positions/MNQ/orders", { side: "sell", qty: 1 })).status).toBe(
      200,
    );
    await settle();
    const p = (await call("GET", "/api/v1/accounts/live/positions/MNQ")).body.position;
    expect(p.qty).toBe(0);
    const events = (await call("GET", "/api/v1/accounts/live/events")).body.events.map((e: any) => e.reason);
    expect(events[0]).toContain("no webhook URL configured");
  });

  test("a live account with a webhook: TradersPost-style JSON with an idempotency key; a 2xx is 'sent', recorded as an assumed fill", async () => {
    const got: { body: any; key: string | null }[] = [];
    const bridge = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: async (req) => (
        got.push({ body: await req.json(), key: req.headers.get("idempotency-key") }), new Response("ok")
      ),
    });
    try {
      const hook = `http://127.0.0.1:${bridge.port}/hook-secret-path`;
      expect((await call("PUT", "/api/v1/accounts/paper/execution", { route: "webhook" })).status).toBe(400);
      expect((await call("PUT", "/api/v1/accounts/live/execution", { webhookUrl: "ftp://x" })).status).toBe(400);
      expect(
        (await call("PUT", "/api/v1/accounts/live/execution", { webhookUrl: hook, commission: 0.62 })).status,
      ).toBe(200);
      const accounts = await call("GET", "/api/v1/accounts");
      expect(JSON.stringify(accounts.body)).not.toContain("hook-secret-path");
      expect(accounts.body.accounts.find((a: any) => a.name === "live")).toMatchObject({
        execution: "webhook",
        commissionPerContract: 0.62,
        webhook: expect.any(String),
      });
      await call("POST", "/api/v1/accounts/live/positions/MNQ/orders", { side: "buy", qty: 2 });
      await until(() => got.length > 0, 500);
      await settle();
      expect(got[0]!.body).toMatchObject({
        ticker: "MNQ",
        action: "buy",
        orderType: "market",
        quantity: 2,
        price: 21000,
      });
      expect(got[0]!.key).toBe(got[0]!.body.extras.orderId);
      const p = (await call("GET", "/api/v1/accounts/live/positions/MNQ")).body.position;
      expect(p).toMatchObject({ side: "long", qty: 2 });
      const events = (await call("GET", "/api/v1/accounts/live/events")).body.events.map((e: any) => e.reason);
      expect(events[0]).toContain("sent (fill assumed)");
    } finally {
      bridge.stop(true);
    }
  });

  test("a browser session needs the CSRF token to trade", async () => {
    const browser = await sessionClient(h, userId);
    const res = await h.fetch(`${base}/MES/orders`, {
      method: "POST",
      headers: { ...browser.headers, "content-type": "application/json" },
      body: JSON.stringify({ side: "buy", qty: 1 }),
    });
    expect(res.status).toBe(403);
    expect((await call("GET", "/api/v1/positions", undefined, browser)).status).toBe(200);
  });
});

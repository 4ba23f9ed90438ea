import { findAccount } from "../persistence/repositories/accounts-repo";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { sql } from "kysely";
import { testDatabaseKind } from "../persistence/test-database";
import {
  addUser,
  createHarness,
  json,
  sessionClient,
  tokenClient,
  type Client,
  type Harness,
  settle as settleEngine,
  clientMesLong,
} from "./test-harness";

let h: Harness;
let api: Client;
let userId: number;
beforeAll(async () => {
  h = await createHarness({}, { engine: true });
  userId = (await addUser(h)).id;
  api = await tokenClient(h, userId);
});
afterAll(async () => {
  await h.close();
});

/** Fills and the original tables' write-back land a moment after the answer. */
const settle = () => settleEngine(h);

beforeEach(async () => {
  await h.ctx.legacyOrders.placeOrder(await ctxFor("paper"), {
    active_orders: {
      MES: { action: "exit" },
      MNQ: { action: "exit" },
      MCL: { action: "exit" },
      MGC: { action: "exit" },
    },
  });
  for (const s of ["MES", "MNQ", "MCL", "MGC", "ES"]) await h.ctx.legacyOrders.clearTrade(await ctxFor("paper"), s);
});

async function ctxFor(name: string) {
  const acc = (await findAccount(h.db.db, userId, name))!;
  return { actor: { kind: "cli" as const, label: "test", userId }, accountId: acc.id };
}

async function call(method: string, path: string, body?: unknown, client = api) {
  const res = await h.fetch(path, json(client, method, body));
  return { status: res.status, body: (await res.json()) as any };
}

async function snapshot() {
  const orders = await h.db.db.selectFrom("orders").selectAll().orderBy("id").execute();
  const levels = await h.db.db.selectFrom("take_profit_levels").selectAll().orderBy("id").execute();
  const events = await sql<{ n: string }>`select count(*) as n from events`.execute(h.db.db);
  return JSON.stringify({ orders, levels, events: events.rows[0]!.n });
}

const ladder = [
  { enabled: true, quantity: 1, target: 2, price: 5014.25, hit: false },
  { enabled: true, quantity: 2, target: 4, price: 5016.25, hit: false },
  { enabled: false, quantity: 1, target: 8, price: 5020.25, hit: false },
];

describe(`original REST API shapes (${testDatabaseKind})`, () => {
  test("single buy from a TradingView ticker, then get_active_orders", async () => {
    const r = await call("POST", "/api/place_order", {
      ticker: "MES1!",
      action: "buy",
      orderType: "market",
      limitPrice: 5012.25,
      quantity: 2,
      stopLoss: { type: "stop", stopPrice: 5009.25 },
      timestamp: 1732400000,
    });
    expect(r).toEqual({ status: 200, body: { success: true, message: "Orders and TP levels updated successfully" } });
    const g = await call("GET", "/api/get_active_orders");
    expect(g.body).toEqual({
      success: true,
      active_orders: {
        MES: { symbol: "MES", ...clientMesLong(2) },
      },
      tp_levels: {},
    });
  });

  test("bulk form as the desktop client synced it, with TP levels", async () => {
    // The client's trade, as it sends it and as it reads it back: the same object.
    const trade = {
      symbol: "MES",
      action: "buy",
      quantity: 5,
      entry_price: 5012.25,
      timestamp: 1732400000,
      stop_loss: { type: "trailing_stop", trailAmount: 10 },
    };
    const r = await call("POST", "/api/place_order", { active_orders: { MES: trade }, tp_levels: { MES: ladder } });
    expect(r.status).toBe(200);
    const g = await call("GET", "/api/get_active_orders");
    expect(g.body.active_orders.MES).toEqual(trade);
    expect(g.body.tp_levels).toEqual({ MES: ladder });
    const t = await call("GET", "/api/get_tp_levels/MES");
    expect(t.body).toEqual({ success: true, symbol: "MES", tp_levels: ladder });
  });

  test("TP levels come back nearest target first, whatever order they were saved in", async () => {
    const r = await call("POST", "/api/save_tp_levels/MNQ", {
      tp_levels: [ladder[2], ladder[0], ladder[1]].map((l) => ({ ...l, price: l!.price + 15000 })),
    });
    expect(r.body).toEqual({ success: true, message: "Take profit levels saved successfully for MNQ" });
    const t = await call("GET", "/api/get_tp_levels/MNQ");
    expect(t.body.tp_levels.map((l: any) => l.target)).toEqual([2, 4, 8]);
  });

  test("PUT by index updates that level; out of range is 404", async () => {
    await call("POST", "/api/save_tp_levels/MES", { tp_levels: ladder });
    const r = await call("PUT", "/api/save_tp_level/MES/1", { enabled: false, quantity: 3 });
    expect(r.body).toEqual({ success: true, message: "TP level updated for MES at index 1" });
    expect((await call("GET", "/api/get_tp_levels/MES")).body.tp_levels[1]).toEqual({
      ...ladder[1],
      enabled: false,
      quantity: 3,
    });
    const miss = await call("PUT", "/api/save_tp_level/MES/3", { enabled: true });
    expect(miss).toEqual({ status: 404, body: { success: false, message: "TP level index 3 out of range for MES" } });
  });

  test("exit removes the trade and resets hit flags; a repeated exit is harmless", async () => {
    await call("POST", "/api/place_order", {
      active_orders: { MES: { action: "buy", quantity: 3, entry_price: 5012.25 } },
      tp_levels: { MES: [{ ...ladder[0], hit: true }, ladder[1]] },
    });
    // An engine exit (docs/trading-rules.md R9.1): with no print yet, paper fills it at the price the client reports.
    expect(
      (
        await call("POST", "/api/place_order", {
          ticker: "MES",
          action: "exit",
          orderType: "market",
          quantity: 3,
          price: 5013.25,
        })
      ).status,
    ).toBe(200);
    await settle();
    const g = await call("GET", "/api/get_active_orders");
    expect(g.body.active_orders).toEqual({});
    expect(g.body.tp_levels.MES.map((l: any) => l.hit)).toEqual([false, false]);
    expect((await call("POST", "/api/place_order", { ticker: "MES", action: "exit" })).status).toBe(200);
  });

  test("a partial exit (the client's Take profit button) reduces the position", async () => {
    await call("POST", "/api/place_order", { ticker: "MES", action: "buy", quantity: 5, entry_price: 5012.25 });
    await call("POST", "/api/place_order", {
      ticker: "MES",
      action: "exit",
      orderType: "market",
      quantity: 2,
      price: 5016.25,
    });
    await settle();
    expect((await call("GET", "/api/get_active_orders")).body.active_orders.MES.quantity).toBe(3);
  });

  test("concurrent orders are never lost: 20 at once give the sum of all of them (issue: 10 sells from long 1 stored −1)", async () => {
    for (const [start, sells, symbol] of [
      [1, 10, "MES"],
      [5, 20, "MNQ"],
      [0, 20, "MGC"],
    ] as const) {
      if (start)
        await call("POST", "/api/place_order", { ticker: symbol, action: "buy", quantity: start, entry_price: 5000 });
      const answers = await Promise.all(
        Array.from({ length: sells }, () =>
          call("POST", "/api/place_order", { ticker: symbol, action: "sell", quantity: 1, entry_price: 5000 }),
        ),
      );
      expect(answers.every((a) => a.status === 200)).toBe(true);
      await settle();
      const o = (await call("GET", "/api/get_active_orders")).body.active_orders[symbol];
      // Net position: start − sells, short when negative.
      expect([o.action, o.quantity]).toEqual(["sell", sells - start]);
      expect(h.ctx.engine.engine.position((await ctxFor("paper")).accountId, symbol)).toMatchObject({
        side: "short",
        qty: sells - start,
      });
    }
  });

  test("adding averages the entry; an opposite order nets instead of adding to the short", async () => {
    await call("POST", "/api/place_order", { ticker: "MES", action: "buy", quantity: 1, entry_price: 5000 });
    await call("POST", "/api/place_order", { ticker: "MESZ5", action: "buy", quantity: 3, entry_price: 5004 });
    let o = (await call("GET", "/api/get_active_orders")).body.active_orders.MES;
    expect([o.action, o.quantity, o.entry_price]).toEqual(["buy", 4, 5003]);
    await call("POST", "/api/place_order", { ticker: "MES.c.0", action: "sell", quantity: 6, entry_price: 5010 });
    o = (await call("GET", "/api/get_active_orders")).body.active_orders.MES;
    expect([o.action, o.quantity, o.entry_price]).toEqual(["sell", 2, 5010]);
  });

  test("clear_trade removes the trade and its levels (the original never implemented it)", async () => {
    await call("POST", "/api/place_order", {
      active_orders: { MCL: { action: "sell", quantity: 2, entry_price: 71.37 } },
      tp_levels: { MCL: [{ enabled: true, quantity: 1, target: 0.2, price: 71.17, hit: false }] },
    });
    expect((await call("POST", "/api/clear_trade/MCL1!")).body).toEqual({
      success: true,
      message: "Trade cleared for MCL",
    });
    const g = await call("GET", "/api/get_active_orders");
    expect(g.body.active_orders).toEqual({});
    expect(g.body.tp_levels).toEqual({});
    expect((await call("POST", "/api/clear_trade/MCL")).body).toEqual({
      success: true,
      message: "Nothing to clear for MCL",
    });
  });

  test("prices of CL and GC keep their decimals (the original truncated to whole points)", async () => {
    await call("POST", "/api/place_order", { ticker: "MGC", action: "sell", quantity: 1, entry_price: 2035.1 });
    await call("POST", "/api/place_order", { ticker: "MCL", action: "buy", quantity: 1, entry_price: 71.37 });
    const g = (await call("GET", "/api/get_active_orders")).body.active_orders;
    expect(g.MGC.entry_price).toBe(2035.1);
    expect(g.MCL.entry_price).toBe(71.37);
  });

  test("accounts are separate; browser sessions act too and are audited with their device", async () => {
    await call("POST", "/api/place_order?account=live", {
      ticker: "ES",
      action: "buy",
      quantity: 1,
      entry_price: 5000.5,
    });
    expect((await call("GET", "/api/get_active_orders")).body.active_orders.ES).toBeUndefined();
    const browser = await sessionClient(h, userId);
    const g = await call("GET", "/api/get_active_orders?account=live", undefined, browser);
    expect(g.body.active_orders.ES.entry_price).toBe(5000.5);
    expect(
      (
        await call("POST", "/api/clear_trade/ES", undefined, {
          ...browser,
          headers: { ...browser.headers, "x-account": "live" },
        })
      ).status,
    ).toBe(200);
    const ev = await h.db.db
      .selectFrom("events")
      .select(["actor", "actor_kind", "reason"])
      .where("kind", "=", "trade.cleared")
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(ev.actor_kind).toBe("user");
    expect(ev.actor).toContain("Chrome on Linux");
    expect((await call("GET", "/api/get_active_orders?account=nope")).status).toBe(404);
  });

  test("a revoked token is refused at once, even right after it was used", async () => {
    const t = await tokenClient(h, userId, "short-lived");
    expect((await call("GET", "/api/get_active_orders", undefined, t)).status).toBe(200);
    await h.ctx.tokens.revoke(userId, "short-lived", { kind: "cli", label: "test", userId });
    expect((await call("GET", "/api/get_active_orders", undefined, t)).status).toBe(401);
  });

  test("every change appends an event in the same transaction with a reason", async () => {
    const before = await h.db.db.selectFrom("events").select("id").orderBy("id", "desc").executeTakeFirst();
    await call("POST", "/api/place_order", { ticker: "MNQ", action: "sell", quantity: 2, entry_price: 18000.25 });
    const events = await h.db.db
      .selectFrom("events")
      .selectAll()
      .where("id", ">", before?.id ?? "0")
      .execute();
    // The original API's record, then the engine taking the position over (it manages the exits).
    expect(events.map((e) => e.reason)).toEqual([
      "sell 2 MNQ @ 18000.25: new short trade",
      "position reported by the original API: short 2 @ 18000.25 (no order sent)",
    ]);
    expect(events[0]!.actor).toContain("via token");
  });
});

describe(`malformed input is refused with a 4xx naming the field, and changes nothing (${testDatabaseKind})`, () => {
  const bad: [string, string, unknown, RegExp][] = [
    ["POST", "/api/place_order", "{not json", /not valid JSON/],
    ["POST", "/api/place_order", "[]", /JSON object/],
    ["POST", "/api/place_order", "null", /JSON object|required|object/],
    ["POST", "/api/place_order", "42", /JSON object|object/],
    ["POST", "/api/place_order", {}, /ticker/],
    ["POST", "/api/place_order", { action: "buy", quantity: 1, entry_price: 5000 }, /ticker/],
    ["POST", "/api/place_order", { ticker: "", action: "buy", quantity: 1, entry_price: 5000 }, /ticker/],
    [
      "POST",
      "/api/place_order",
      { ticker: "AAPL", action: "buy", quantity: 1, entry_price: 5000 },
      /ticker: unknown symbol/,
    ],
    ["POST", "/api/place_order", { ticker: "MESF6", action: "buy", quantity: 1, entry_price: 5000 }, /listed months/],
    ["POST", "/api/place_order", { ticker: 5, action: "buy", quantity: 1, entry_price: 5000 }, /ticker/],
    ["POST", "/api/place_order", { ticker: "MES", action: "hold", quantity: 1, entry_price: 5000 }, /action/],
    ["POST", "/api/place_order", { ticker: "MES", quantity: 1, entry_price: 5000 }, /action/],
    ["POST", "/api/place_order", { ticker: "MES", action: "BUY", quantity: 1, entry_price: 5000 }, /action/],
    ["POST", "/api/place_order", { ticker: "MES", action: "buy", entry_price: 5000 }, /quantity/],
    ["POST", "/api/place_order", { ticker: "MES", action: "buy", quantity: 0, entry_price: 5000 }, /quantity/],
    ["POST", "/api/place_order", { ticker: "MES", action: "buy", quantity: -2, entry_price: 5000 }, /quantity/],
    ["POST", "/api/place_order", { ticker: "MES", action: "buy", quantity: 1.5, entry_price: 5000 }, /quantity/],
    ["POST", "/api/place_order", { ticker: "MES", action: "buy", quantity: "2", entry_price: 5000 }, /quantity/],
    ["POST", "/api/place_order", { ticker: "MES", action: "buy", quantity: 1e9, entry_price: 5000 }, /quantity/],
    ["POST", "/api/place_order", { ticker: "MES", action: "buy", quantity: 1 }, /entry_price/],
    ["POST", "/api/place_order", { ticker: "MES", action: "buy", quantity: 1, entry_price: 0 }, /entry_price/],
    ["POST", "/api/place_order", { ticker: "MES", action: "buy", quantity: 1, entry_price: -5000 }, /entry_price/],
    [
      "POST",
      "/api/place_order",
      { ticker: "MES", action: "buy", quantity: 1, entry_price: 5000.1 },
      /entry_price: 5000.1 is not on MES's tick grid \(0.25\)/,
    ],
    ["POST", "/api/place_order", { ticker: "MCL", action: "buy", quantity: 1, entry_price: 71.375 }, /tick grid/],
    ["POST", "/api/place_order", { ticker: "MES", action: "buy", quantity: 1, entry_price: "5000" }, /entry_price/],
    ["POST", "/api/place_order", { ticker: "MES", action: "buy", quantity: 1, limitPrice: 5000.3 }, /limitPrice/],
    [
      "POST",
      "/api/place_order",
      { ticker: "MES", action: "buy", quantity: 1, entry_price: 5000, timestamp: -1 },
      /timestamp/,
    ],
    [
      "POST",
      "/api/place_order",
      { ticker: "MES", action: "buy", quantity: 1, entry_price: 5000, timestamp: "yesterday" },
      /timestamp/,
    ],
    [
      "POST",
      "/api/place_order",
      { ticker: "MES", action: "buy", quantity: 1, entry_price: 5000, stopLoss: { type: "magic", stopPrice: 4990 } },
      /stopLoss\.type/,
    ],
    [
      "POST",
      "/api/place_order",
      { ticker: "MES", action: "buy", quantity: 1, entry_price: 5000, stopLoss: { type: "stop" } },
      /stopPrice/,
    ],
    [
      "POST",
      "/api/place_order",
      { ticker: "MES", action: "buy", quantity: 1, entry_price: 5000, stopLoss: { type: "stop", stopPrice: 4990.1 } },
      /stopLoss\.stopPrice.*tick/,
    ],
    [
      "POST",
      "/api/place_order",
      { ticker: "MES", action: "buy", quantity: 1, entry_price: 5000, stopLoss: { type: "trailing_stop" } },
      /trailAmount/,
    ],
    [
      "POST",
      "/api/place_order",
      {
        ticker: "MES",
        action: "buy",
        quantity: 1,
        entry_price: 5000,
        stopLoss: { type: "trailing_stop", trailAmount: -1 },
      },
      /trailAmount/,
    ],
    [
      "POST",
      "/api/place_order",
      { ticker: "MES", action: "buy", quantity: 1, entry_price: 5000, stopLoss: "4990" },
      /stopLoss/,
    ],
    ["POST", "/api/place_order", { active_orders: [] }, /active_orders/],
    ["POST", "/api/place_order", { active_orders: "MES" }, /active_orders/],
    [
      "POST",
      "/api/place_order",
      { active_orders: { MES: { action: "buy", quantity: 1 } } },
      /active_orders\.MES\.entry_price/,
    ],
    [
      "POST",
      "/api/place_order",
      { active_orders: { MES: { action: "buy", entry_price: 5000 } } },
      /active_orders\.MES\.quantity/,
    ],
    [
      "POST",
      "/api/place_order",
      { active_orders: { XYZ: { action: "buy", quantity: 1, entry_price: 5000 } } },
      /active_orders\.XYZ: unknown symbol/,
    ],
    [
      "POST",
      "/api/place_order",
      {
        active_orders: {
          MES: { action: "buy", quantity: 1, entry_price: 5000 },
          "MES1!": { action: "buy", quantity: 1, entry_price: 5000 },
        },
      },
      /appears twice/,
    ],
    [
      "POST",
      "/api/place_order",
      {
        active_orders: { MES: { action: "buy", quantity: 1, entry_price: 5000 } },
        tp_levels: { MES: [{ quantity: 1, target: 2 }] },
      },
      /tp_levels\.MES\.0\.price/,
    ],
    [
      "POST",
      "/api/place_order",
      { active_orders: { MES: { action: "buy", quantity: 1, entry_price: 5000 } }, tp_levels: { MES: "x" } },
      /tp_levels\.MES/,
    ],
    // Atomic: a valid MES change must not land when MNQ in the same request is refused.
    [
      "POST",
      "/api/place_order",
      {
        active_orders: {
          MES: { action: "buy", quantity: 1, entry_price: 5000 },
          MNQ: { action: "buy", quantity: 1, entry_price: 18000.1 },
        },
      },
      /active_orders\.MNQ\.entry_price.*tick/,
    ],
    [
      "POST",
      "/api/place_order",
      {
        active_orders: { MES: { action: "buy", quantity: 2, entry_price: 5000 } },
        tp_levels: { MES: [{ enabled: true, quantity: 3, target: 2, price: 5002, hit: false }] },
      },
      /take 3 contracts but the long position is 2/,
    ],
    [
      "POST",
      "/api/place_order",
      {
        active_orders: { MES: { action: "sell", quantity: 2, entry_price: 5000 } },
        tp_levels: { MES: [{ enabled: true, quantity: 1, target: 2, price: 5002, hit: false }] },
      },
      /not on the profit side/,
    ],
    ["POST", "/api/save_tp_levels/MES", {}, /tp_levels/],
    ["POST", "/api/save_tp_levels/MES", { tp_levels: {} }, /tp_levels/],
    [
      "POST",
      "/api/save_tp_levels/MES",
      { tp_levels: [{ enabled: true, quantity: 1, target: 2.1, price: 5002, hit: false }] },
      /tp_levels\.0\.target.*tick/,
    ],
    [
      "POST",
      "/api/save_tp_levels/MES",
      { tp_levels: [{ enabled: true, quantity: 1, target: -2, price: 5002, hit: false }] },
      /tp_levels\.0\.target/,
    ],
    [
      "POST",
      "/api/save_tp_levels/MES",
      { tp_levels: [{ enabled: "yes", quantity: 1, target: 2, price: 5002, hit: false }] },
      /tp_levels\.0\.enabled/,
    ],
    [
      "POST",
      "/api/save_tp_levels/MES",
      {
        tp_levels: [
          { enabled: true, quantity: 1, target: 2, price: 5002, hit: false },
          { enabled: true, quantity: 1, target: 2, price: 5002, hit: false },
        ],
      },
      /two levels at 2/,
    ],
    [
      "POST",
      "/api/save_tp_levels/MES",
      { tp_levels: Array.from({ length: 51 }, (_, i) => ({ quantity: 1, target: i + 1, price: 5000 + i + 1 })) },
      /at most 50/,
    ],
    ["POST", "/api/save_tp_levels/NOPE", { tp_levels: [] }, /symbol: unknown symbol/],
    ["PUT", "/api/save_tp_level/MES/0", { enabled: "no" }, /enabled/],
    ["PUT", "/api/save_tp_level/MES/0", { quantity: 0 }, /quantity/],
    ["PUT", "/api/save_tp_level/MES/0", { price: 5000.3 }, /price.*tick/],
    ["PUT", "/api/save_tp_level/MES/0", { colour: "red" }, /colour|Unrecognized/i],
    ["PUT", "/api/save_tp_level/MES/-1", { enabled: true }, /index/],
    ["PUT", "/api/save_tp_level/MES/abc", { enabled: true }, /index/],
    ["PUT", "/api/save_tp_level/MES/1", { target: 2 }, /already at 2/],
    ["PUT", "/api/save_tp_level/MES/0", { quantity: 9 }, /take 11 contracts but the long position is 5/],
    ["POST", "/api/clear_trade/%20", undefined, /ticker/],
    ["GET", "/api/get_tp_levels/ZZZZ", undefined, /unknown symbol/],
    ["GET", "/api/get_active_orders?account=Bad%20Name", undefined, /account/],
  ];

  test(`${bad.length} malformed requests`, async () => {
    expect(bad.length).toBeGreaterThanOrEqual(50);
    // A known state to compare against: an open MES long of 5 with two levels.
    await call("POST", "/api/place_order", {
      active_orders: { MES: { action: "buy", quantity: 5, entry_price: 5012.25 } },
      tp_levels: { MES: ladder.slice(0, 2) },
    });
    for (const [method, path, body, message] of bad) {
      const before = await snapshot();
      const res = await h.fetch(path, json(api, method, body));
      const answer = (await res.json()) as { success: boolean; message: string };
      const where = `${method} ${path} ${typeof body === "string" ? body : JSON.stringify(body)?.slice(0, 120)}`;
      expect({ where, status: res.status >= 400 && res.status < 500 }).toEqual({ where, status: true });
      expect({ where, success: answer.success }).toEqual({ where, success: false });
      expect({ where, message: answer.message }).toEqual({ where, message: expect.stringMatching(message) });
      expect({ where, unchanged: (await snapshot()) === before }).toEqual({ where, unchanged: true });
    }
  });

  test("a browser session without its CSRF token is refused and nothing changes", async () => {
    const browser = await sessionClient(h, userId);
    const before = await snapshot();
    const res = await h.fetch("/api/place_order", {
      method: "POST",
      headers: { ...browser.headers, "content-type": "application/json" },
      body: JSON.stringify({ ticker: "MES", action: "exit" }),
    });
    expect(res.status).toBe(403);
    const forged = await h.fetch(
      "/api/place_order",
      json({ ...browser, csrf: "wrong" }, "POST", { ticker: "MES", action: "exit" }),
    );
    expect(forged.status).toBe(403);
    const cross = await h.fetch(
      "/api/place_order",
      json(browser, "POST", { ticker: "MES", action: "exit" }, { origin: "https://evil.example" }),
    );
    expect(cross.status).toBe(403);
    expect(await snapshot()).toBe(before);
  });

  test("a forged browser request is refused as forged before its body is checked (the route's schema never answers it)", async () => {
    const browser = await sessionClient(h, userId);
    const before = await snapshot();
    for (const [what, init] of [
      ["no token", { method: "POST", headers: { ...browser.headers, "content-type": "application/json" } }],
      ["cross-origin", json(browser, "POST", undefined, { origin: "https://evil.example" })],
    ] as const) {
      const res = await h.fetch("/api/place_order", { ...init, body: JSON.stringify({ ticker: 7, quantity: "x" }) });
      expect({ what, status: res.status, body: await res.json() }).toEqual({
        what,
        status: 403,
        body: { success: false, message: expect.stringMatching(/CSRF|cross-origin/) },
      });
    }
    expect(await snapshot()).toBe(before);
  });

  test("a browser's CSRF token may come as `_csrf` in the JSON body instead of the header", async () => {
    const browser = await sessionClient(h, userId);
    const res = await h.fetch("/api/place_order", {
      method: "POST",
      headers: { ...browser.headers, "content-type": "application/json" },
      body: JSON.stringify({ ticker: "MES", action: "exit", _csrf: browser.csrf }),
    });
    expect(res.status).toBe(200);
  });

  test("server errors are answered without internals and logged with the request id", async () => {
    const broken = {
      ...h.ctx.legacyOrders,
      getActiveOrders: () => Promise.reject(new Error('relation "secret_table" does not exist')),
    };
    const original = h.ctx.legacyOrders;
    (h.ctx as { legacyOrders: unknown }).legacyOrders = broken;
    try {
      const res = await h.fetch("/api/get_active_orders", json(api, "GET"));
      const body = (await res.json()) as { message: string };
      expect(res.status).toBe(500);
      expect(body.message).not.toContain("secret_table");
      const rid = res.headers.get("x-request-id")!;
      expect(body.message).toContain(rid);
      expect(h.logs.lines.some((l) => l.event === "http.error" && l.rid === rid)).toBe(true);
    } finally {
      (h.ctx as { legacyOrders: unknown }).legacyOrders = original;
    }
  });
});

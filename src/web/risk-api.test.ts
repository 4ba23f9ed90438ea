import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "kysely";
import { loadSnapshot } from "../persistence/repositories/engine-repo";
import { testDatabaseKind } from "../persistence/test-database";
import { addTrader, type Client, createHarness, type Harness, printAt, request, settle } from "./test-harness";

/**
 * Risk limits (docs/trading-rules.md R10) through every way in: the JSON API, the desk's forms
 * and the original API are all refused by the engine, each refusal is an event, and the kill
 * switch flattens every account of the user and is stored with the account's trading day.
 */
let h: Harness;
let api: Client;
let web: Client;
const P = (s: string) => Math.round(Number(s) * 1e9);
const call = (method: string, path: string, body?: unknown) => request(h, api, method, path, body);
const deskPost = (path: string, fields: Record<string, string>) =>
  h.fetch(path, {
    method: "POST",
    headers: { ...web.headers, "x-csrf-token": web.csrf!, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });
const refusedEvents = async () =>
  (
    await sql<{ reason: string }>`select reason from events where kind = 'risk.refused' order by id`.execute(h.ctx.db)
  ).rows.map((r) => r.reason);

beforeAll(async () => {
  h = await createHarness({}, { engine: true });
  ({ api, web } = await addTrader(h, "risky"));
});
afterAll(() => h.close());

describe(`risk limits through every API (${testDatabaseKind})`, () => {
  test("limits are set as a whole, read back, and checked in the trader's words", async () => {
    const set = await call("PUT", "/api/v1/accounts/paper/risk", { maxOrder: 20, maxPosition: 30, dailyLoss: "750" });
    expect(set.status).toBe(200);
    expect(set.body.risk).toMatchObject({ maxOrder: 20, maxPosition: 30, dailyLoss: "750.00", confirmAbove: null });
    const all = (await call("GET", "/api/v1/risk")).body.accounts;
    expect(all.map((a: { account: string }) => a.account).sort()).toEqual(["live", "paper"]);
    for (const [body, words] of [
      [{ maxOrder: "1e2" }, "body.maxOrder: a whole number of contracts"],
      [{ maxOrder: 2.5 }, "body.maxOrder: a whole number of contracts"],
      [{ dailyLoss: "lots" }, "body.dailyLoss: dollars and cents"],
      [{ flattenBeforeCloseMin: 500 }, "body.flattenBeforeCloseMin: at most 120 minutes"],
    ] as const) {
      const r = await call("PUT", "/api/v1/accounts/paper/risk", body);
      expect(r.status).toBe(400);
      expect(r.body.message).toContain(words);
    }
    // Nothing changed by the refusals.
    expect((await call("GET", "/api/v1/risk")).body.accounts.find((a: any) => a.account === "paper").maxOrder).toBe(20);
  });

  test("an order above the maximum is refused by the JSON API, the desk and the original API, each an event", async () => {
    await printAt(h, "MES", P("5000"));
    await printAt(h, "ES", P("5000"));
    const json = await call("POST", "/api/v1/accounts/paper/positions/MES/orders", { side: "buy", qty: 21 });
    expect(json.status).toBe(409);
    expect(json.body).toMatchObject({ success: false, code: "risk_limit" });
    expect(json.body.message).toContain("21 MES is above this account's maximum order of 20 contracts");
    const mini = await call("POST", "/api/v1/accounts/paper/positions/ES/orders", { side: "buy", qty: 3 });
    expect(mini.body.message).toContain("3 ES (30 micro-equivalent)");

    const desk = await deskPost("/desk/order", { account: "paper", symbol: "MES", side: "buy", qty: "25" });
    expect(desk.status).toBe(409);
    expect(await desk.text()).toMatch(
      /field-error" role="alert">order refused: 25 MES is above this account(&#x27;|&#39;)s maximum order of 20/,
    );

    // The original API, here on the live account with a limit of its own.
    await call("PUT", "/api/v1/accounts/live/risk", { maxOrder: 5 });
    const legacy = await call("POST", "/api/place_order?account=live", {
      ticker: "MES1!",
      action: "buy",
      orderType: "market",
      quantity: 6,
      entry_price: 5000,
      timestamp: 1732400000,
    });
    expect(legacy.status).toBeGreaterThanOrEqual(400);
    expect(legacy.status).toBeLessThan(500);
    expect(JSON.stringify(legacy.body)).toContain("maximum order of 5");
    expect((await call("GET", "/api/get_active_orders?account=live")).body.active_orders).toEqual({});

    expect(await refusedEvents()).toHaveLength(4);
    for (const s of ["MES", "ES"])
      expect((await call("GET", `/api/v1/accounts/paper/positions/${s}`)).body.position).toBeNull();
  });

  test("kill switch: every account flattened, entries locked and stored; resume lifts it", async () => {
    await call("PUT", "/api/v1/accounts/live/risk", {});
    // The live account's orders filled by the paper broker here (no webhook to reach).
    await call("PUT", "/api/v1/accounts/live/execution", { route: "paper" });
    expect((await call("POST", "/api/v1/accounts/paper/positions/MES/orders", { side: "buy", qty: 2 })).status).toBe(
      200,
    );
    expect((await call("POST", "/api/v1/accounts/live/positions/ES/orders", { side: "sell", qty: 1 })).status).toBe(
      200,
    );
    await printAt(h, "MES", P("5000"));
    await printAt(h, "ES", P("5000"));
    expect((await call("GET", "/api/v1/positions")).body.positions).toHaveLength(2);

    const kill = await call("POST", "/api/v1/kill-switch");
    expect(kill).toEqual({ status: 200, body: { accounts: ["live", "paper"] } });
    await printAt(h, "MES", P("5000.25"));
    await printAt(h, "ES", P("5000.25"));
    await settle(h);
    expect((await call("GET", "/api/v1/positions")).body.positions).toHaveLength(0);
    const again = await call("POST", "/api/v1/accounts/paper/positions/MES/orders", { side: "buy", qty: 1 });
    expect(again.status).toBe(409);
    expect(again.body.message).toContain("new entries are locked until");

    // Stored with the account's day: a restart or another instance finds the lock.
    const days = new Map((await loadSnapshot(h.ctx.db)).days);
    expect([...days.values()].map((d) => d.lock?.kind)).toEqual(["kill", "kill"]);

    const resumed = await call("POST", "/api/v1/accounts/paper/resume");
    expect(resumed.status).toBe(200);
    expect(resumed.body.risk.day.lock).toBeNull();
    const notLocked = await call("POST", "/api/v1/accounts/paper/resume");
    expect(notLocked).toMatchObject({ status: 409, body: { message: "this account is not locked" } });
    expect((await call("POST", "/api/v1/accounts/paper/positions/MES/orders", { side: "buy", qty: 1 })).status).toBe(
      200,
    );
  });
});

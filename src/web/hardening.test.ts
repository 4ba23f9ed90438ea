import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { memoryLogger } from "../log/logger";
import { testDatabaseKind } from "../persistence/test-database";
import { createFetch } from "./app";
import { errorResponse } from "./error-plugin";
import { stateSnapshot } from "./state-snapshot";
import {
  addTrader,
  addUser,
  archiveQuietBars,
  createHarness,
  json,
  sessionClient,
  type Client,
  type Harness,
} from "./test-harness";

/** The hardening issue's reproductions: each was a 500 or a silently accepted value; now a 4xx that changes nothing. */
let h: Harness;
let api: Client;
let web: Client;
let otherWeb: Client;
beforeAll(async () => {
  h = await createHarness({}, { engine: true });
  ({ api, web } = await addTrader(h, "admin1"));
  otherWeb = (await addTrader(h, "trader2")).web;
});
afterAll(async () => {
  await h.close();
});

const form = (c: Client, body?: string, extra: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: {
    ...c.headers,
    "x-csrf-token": c.csrf!,
    ...(body === undefined ? {} : { "content-type": "application/x-www-form-urlencoded" }),
    ...extra,
  },
  body,
});

/** Sends a request that must be refused: a 4xx naming the problem, and no state changed. */
async function refused(path: string, init: RequestInit, status: number | RegExp = /^4\d\d$/, message?: RegExp) {
  const before = await stateSnapshot(h.ctx);
  const res = await h.fetch(path, init);
  const text = await res.text();
  const where = `${init.method ?? "GET"} ${path} → ${res.status} ${text.slice(0, 200)}`;
  if (typeof status === "number") expect({ where, status: res.status }).toEqual({ where, status });
  else expect(String(res.status), where).toMatch(status);
  if (message) expect(text, where).toMatch(message);
  expect(text).not.toMatch(/\bat .*\.tsx?:\d+/); // no stack traces
  expect(await stateSnapshot(h.ctx), where).toBe(before);
  return text;
}

describe(`hardening: application 500s become refusals (${testDatabaseKind})`, () => {
  test("form routes posted without a body", async () => {
    for (const p of [
      "/settings/prefs",
      "/settings/keys",
      "/settings/tokens",
      "/settings/execution/paper",
      "/replay/new",
      "/replay/quote",
      "/replay/download",
      "/replay/upload",
      "/replay/1/control",
    ]) {
      await refused(p, form(web));
    }
  });

  test("a token name with a slash; two tokens of one name created at once", async () => {
    await refused("/settings/tokens", form(web, "name=bad/name"), 400, /token name: 1-60 characters/);
    const both = await Promise.all([
      h.fetch("/settings/tokens", form(web, "name=twin")),
      h.fetch("/settings/tokens", form(web, "name=twin")),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 400]);
    const texts = await Promise.all(both.map((r) => r.text()));
    expect(texts.join()).toContain("already exists");
    expect((await h.ctx.tokens.list(web.userId)).filter((t) => t.name === "twin").length).toBe(1);
  });

  test("query values that are not whole numbers or times", async () => {
    await refused(
      "/api/v1/accounts/paper/events?limit=abc",
      { headers: api.headers },
      400,
      /limit: a whole number between 1 and 1000/,
    );
    await refused("/api/v1/accounts/paper/events?limit=1.5", { headers: api.headers }, 400, /limit: a whole number/);
    await refused(
      "/api/v1/market/MES/recent?count=1.5",
      { headers: api.headers },
      400,
      /count: a whole number between 1 and 2000/,
    );
    await refused(
      "/api/v1/journal?from=yesterday",
      { headers: api.headers },
      400,
      /from: a time as epoch milliseconds or ISO-8601/,
    );
    await refused("/api/v1/journal?from=9999999999999999", { headers: api.headers }, 400, /from: a time/);
    await refused("/api/v1/market/MES/bars?from=9999999999999999", { headers: api.headers }, 400, /from: a time/);
    await refused("/journal?from=2026-13-45", { headers: web.headers }, 400, /from: a date written YYYY-MM-DD/);
    expect((await h.fetch("/api/v1/journal?from=2026-03-02", { headers: api.headers })).status).toBe(200);
  });

  test("prices too large, too precise or too small for the column, in every place a price goes", async () => {
    for (const v of [1e21, 5000.1234567891, 1e-10]) {
      await refused(
        "/api/place_order",
        json(api, "POST", { ticker: "MES", action: "buy", orderType: "limit", limitPrice: v, quantity: 1 }),
        400,
        /limitPrice: /,
      );
      await refused(
        "/api/place_order",
        json(api, "POST", {
          active_orders: { MES: { action: "buy", quantity: 1, entry_price: 5000 } },
          tp_levels: { MES: [{ enabled: true, quantity: 1, target: v, price: 5001, hit: false }] },
        }),
        400,
        /tp_levels\.MES\.0\.target: /,
      );
      await refused(
        "/api/place_order",
        json(api, "POST", {
          active_orders: { MES: { action: "buy", quantity: 1, entry_price: 5000 } },
          tp_levels: { MES: [{ enabled: true, quantity: 1, target: 1, price: v, hit: false }] },
        }),
        400,
        /tp_levels\.MES\.0\.price: /,
      );
      await refused(
        "/api/save_tp_levels/MES",
        json(api, "POST", { tp_levels: [{ enabled: true, quantity: 1, target: v, price: 5001, hit: false }] }),
        400,
        /tp_levels\.0\.target: /,
      );
      await refused(
        "/api/save_tp_levels/MES",
        json(api, "POST", { tp_levels: [{ enabled: true, quantity: 1, target: 1, price: v, hit: false }] }),
        400,
        /tp_levels\.0\.price: /,
      );
    }
  });

  test("NUL bytes, broken percent-encoding and a forged cookie", async () => {
    await refused(
      "/api/v1/accounts/paper%00/events",
      { headers: api.headers },
      400,
      /account: must not contain a NUL byte/,
    );
    await refused(
      "/api/get_active_orders?account=%00",
      { headers: api.headers },
      400,
      /account: must not contain a NUL byte/,
    );
    await refused(
      "/desk/order",
      form(web, "account=pa%00per&symbol=MES&side=buy&qty=1", { "hx-request": "true" }),
      400,
      /account: must not contain a NUL byte/,
    );
    await refused("/api/clear_trade/%ZZ", json(api, "POST"), 400, /ticker: bad percent-encoding/);
    await refused("/api/v1/market/%FF%FE/bars", { headers: api.headers }, 400, /symbol: bad percent-encoding/);
    await refused("/api/get_active_orders", { headers: { cookie: "sid=%ZZ" } }, 401);
    await refused("/", { headers: { cookie: "sid=%ZZ" } }, /^3\d\d$/);
    const pre = "p".repeat(24);
    await refused(
      "/login",
      {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", cookie: `pre_csrf=${pre}` },
        body: `username=%00&password=x&_csrf=${pre}`,
      },
      400,
      /username: must not contain a NUL byte/,
    );
  });

  test("record on a replay account for a symbol the replay does not play", async () => {
    const T0 = Date.UTC(2025, 2, 3, 15, 0, 0);
    await archiveQuietBars(h, T0, 30);
    await h.ctx.replay.start(0);
    try {
      const r = await h.fetch(
        "/api/v1/replays",
        json(api, "POST", { source: "archive", symbols: ["MES"], fromMs: T0, toMs: T0 + 1_800_000 }),
      );
      const { account } = await r.json();
      await refused(
        `/api/v1/accounts/${account}/positions/NQ/record`,
        json(api, "POST", { side: "long", qty: 1, entryPrice: 20000 }),
        409,
        /NQ is not in this replay/,
      );
      await refused(
        "/desk/record",
        form(web, `account=${account}&symbol=NQ&side=long&qty=1&entryPrice=20000`, { "hx-request": "true" }),
        409,
        /NQ is not in this replay/,
      );
    } finally {
      await h.ctx.replay.stop();
    }
  });

  test("a broken multipart body on an upload", async () => {
    await refused(
      "/api/v1/replay-files",
      {
        method: "POST",
        headers: { ...api.headers, "content-type": "multipart/form-data; boundary=xx" },
        body: "garbage",
      },
      400,
      /not a valid multipart form/,
    );
  });
});

describe(`hardening: hostile values in the original API (${testDatabaseKind})`, () => {
  test("a price of 1e-10 added to a long does not move its average", async () => {
    expect(
      (
        await h.fetch(
          "/api/place_order",
          json(api, "POST", { ticker: "MES", action: "buy", quantity: 3, entry_price: 20998 }),
        )
      ).status,
    ).toBe(200);
    await refused(
      "/api/place_order",
      json(api, "POST", { ticker: "MES", action: "buy", quantity: 1, entry_price: 1e-10 }),
      400,
      /entry_price: at least 0\.000000001/,
    );
    const active = await (await h.fetch("/api/get_active_orders", { headers: api.headers })).json();
    expect(active.active_orders.MES).toMatchObject({ quantity: 3, entry_price: 20998 });
    await h.fetch("/api/place_order", json(api, "POST", { ticker: "MES", action: "exit" }));
  });

  test("an entry of 1e20 is refused instead of being a trade nothing manages", async () => {
    await refused(
      "/api/place_order",
      json(api, "POST", { ticker: "MNQ", action: "buy", quantity: 1, entry_price: 1e20 }),
      400,
      /entry_price: at most 1,000,000/,
    );
  });

  test("a long whose stop is above its entry, a short whose stop is below", async () => {
    const longMcl = (stopPrice: number) =>
      json(api, "POST", {
        ticker: "MCL",
        action: "buy",
        quantity: 1,
        entry_price: 70,
        stopLoss: { type: "stop", stopPrice },
      });
    await refused(
      "/api/place_order",
      longMcl(75),
      400,
      /stopLoss\.stopPrice: 75 is at or above the entry \(70\); a long stop must be below it/,
    );
    await refused(
      "/api/place_order",
      json(api, "POST", {
        active_orders: {
          MCL: { action: "sell", quantity: 1, entry_price: 70, stop_loss: { type: "stop", stopPrice: 69 } },
        },
      }),
      400,
      /active_orders\.MCL\.stop_loss\.stopPrice: 69 is at or below/,
    );
    // The right side is still accepted, and the engine takes the stop.
    expect((await h.fetch("/api/place_order", longMcl(69))).status).toBe(200);
    await h.ctx.engine.settled();
    const accountId = await h.ctx.trading.accountId(api.userId, "paper");
    expect(h.ctx.trading.view(accountId, "MCL")?.stop?.price).toBe(69);
    await h.fetch("/api/place_order", json(api, "POST", { ticker: "MCL", action: "exit" }));
  });
});

describe(`hardening: authorization (${testDatabaseKind})`, () => {
  test("only an administrator may replace or remove the server-wide Databento keys", async () => {
    const key = "db-" + "A".repeat(29);
    expect((await h.fetch("/settings/keys", form(web, `live=${key}`))).status).toBe(200);
    await refused("/settings/keys", form(otherWeb, `live=db-${"B".repeat(29)}`), 403, /only an administrator/);
    await refused("/settings/keys", form(otherWeb, "clear=1"), 403, /only an administrator/);
    expect(await h.ctx.secrets.reveal("databento", "api_key")).toBe(key);
    const page = await (await h.fetch("/settings", { headers: otherWeb.headers })).text();
    expect(page).not.toContain('hx-post="/settings/keys"');
    expect((await h.ctx.users.findByUsername("admin1"))?.isAdmin).toBe(true);
    expect((await h.ctx.users.findByUsername("trader2"))?.isAdmin).toBe(false);
  });

  test("X-Forwarded-Host is not believed from a peer that is not a configured proxy", async () => {
    await refused(
      "/settings/tokens",
      form(web, "name=fwd", { origin: "http://evil.example", "x-forwarded-host": "evil.example" }),
      403,
      /cross-origin/,
    );
  });

  test("the desk refuses an account that does not exist instead of acting on paper", async () => {
    await refused(
      "/desk/order",
      form(web, "account=nope&symbol=MES&side=buy&qty=1", { "hx-request": "true" }),
      404,
      /account (&quot;|&#34;|")nope\1 not found/,
    );
    await refused("/desk/state?account=nope&symbol=MES", { headers: web.headers }, 404, /not found/);
  });

  test("15 parallel wrong passwords for one user: 5 are checked, 10 throttled", async () => {
    await addUser(h, "victim");
    const pre = "q".repeat(24);
    const attempt = (i: number) =>
      h.fetch("/login", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", cookie: `pre_csrf=${pre}` },
        body: `username=victim&password=wrong-${i}-password&_csrf=${pre}`,
      });
    const before = h.logs.lines.filter((l) => l.event === "auth.login.failed" && l.username === "victim").length;
    const statuses = (await Promise.all(Array.from({ length: 15 }, (_, i) => attempt(i)))).map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBe(5);
    expect(statuses.filter((s) => s === 429).length).toBe(10);
    expect(h.logs.lines.filter((l) => l.event === "auth.login.failed" && l.username === "victim").length - before).toBe(
      5,
    );
  });
});

describe(`hardening: forwarded headers from a configured proxy (${testDatabaseKind})`, () => {
  test("X-Forwarded-Host and -For count only when the socket peer is in TRUST_PROXY", async () => {
    const p = await createHarness({ TRUST_PROXY: "10.9.9.9" });
    try {
      const u = await addUser(p, "proxied");
      const c = await sessionClient(p, u.id);
      const handler = createFetch(p.ctx, p.app);
      const send = (peer: string) =>
        handler(
          new Request(
            "http://10.0.0.5:3000/settings/tokens",
            form(c, `name=via-${peer.replace(/[^0-9a-z]/g, "-")}`, {
              origin: "https://trade.example",
              "x-forwarded-host": "trade.example",
            }),
          ),
          { requestIP: () => ({ address: peer }) },
        );
      expect((await send("10.9.9.9")).status).toBe(200);
      expect((await send("::ffff:10.9.9.9")).status).toBe(200);
      expect((await send("10.9.9.8")).status).toBe(403);
    } finally {
      await p.close();
    }
  });
});

describe("the error mapper", () => {
  test("an unexpected exception is a logged 500 with the request id, without internals", async () => {
    const logs = memoryLogger();
    const res = await errorResponse(logs, new Request("http://localhost/api/x"), new Error("secret internals"));
    expect(res.status).toBe(500);
    const body = await res.json();
    expect(body.message).toMatch(/^internal error \(request .+\)$/);
    expect(JSON.stringify(body)).not.toContain("secret internals");
    expect(logs.lines.find((l) => l.event === "http.error")).toMatchObject({
      level: "error",
      error: { message: "secret internals" },
    });
  });
});

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { websocket } from "elysia/ws";
import { FailureLimiter } from "../auth/rate-limit";
import { testDatabaseKind } from "../persistence/test-database";
import { createFetch } from "./app";
import { caseArbitrary, FORMS, type FuzzCase, type Route } from "./fuzz-cases";
import { stateSnapshot } from "./state-snapshot";
import { addTrader, addUser, archiveQuietBars, createHarness, json, type Client, type Harness } from "./test-harness";
import { until } from "../shared/testing";

/**
 * Every route, every form, hostile input: never a 5xx, and a refusal changes nothing. Seeded, so
 * a failure is the same on every run (FUZZ_SEED / FUZZ_RUNS to explore further).
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const RUNS = Number(process.env.FUZZ_RUNS ?? 5200);
const T0 = Date.UTC(2025, 2, 3, 15, 0, 0);

let h: Harness;
let token: Client;
let session: Client;
let other: Client;
let routes: Route[];

beforeAll(async () => {
  h = await createHarness({}, { engine: true });
  ({ api: token, web: session } = await addTrader(h, "fuzzadmin"));
  other = (await addTrader(h, "fuzzother")).web;
  // Some state for requests to act on: prices, an original-API trade with a ladder, a desk trade, archived bars.
  for (const [symbol, price] of [
    ["MES", 5000],
    ["MNQ", 21000],
    ["ES", 5000],
    ["NQ", 21000],
    ["MCL", 70],
  ] as const)
    h.ctx.engine.onTrade(symbol, price * 1e9, Date.now());
  await h.fetch(
    "/api/place_order",
    json(token, "POST", {
      active_orders: { MES: { action: "buy", quantity: 2, entry_price: 5000 } },
      tp_levels: { MES: [{ enabled: true, quantity: 1, target: 2, price: 5002, hit: false }] },
    }),
  );
  await h.fetch(
    "/api/v1/accounts/paper/positions/MNQ/record",
    json(token, "POST", { side: "short", qty: 3, entryPrice: 21000 }),
  );
  await archiveQuietBars(h, T0, 60);
  await h.ctx.replay.start(0);

  const spec = await (await h.fetch("/api/openapi.json", { headers: token.headers })).json();
  routes = Object.entries<Record<string, unknown>>(spec.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => ({ method: m.toUpperCase(), path, json: true, fields: [] })),
  );
  for (const [key, fields] of Object.entries(FORMS)) {
    const [method, path] = key.split(" ") as [string, string];
    routes.push({ method, path, json: false, fields });
  }
}, 60_000);
afterAll(async () => {
  await h.ctx.replay.stop();
  await h.close();
});

function withClient(c: FuzzCase): RequestInit {
  const who =
    c.client === "token" ? token : c.client === "session" ? session : c.client === "other" ? other : undefined;
  const headers: Record<string, string> = {
    ...who?.headers,
    ...(who?.csrf && c.csrf ? { "x-csrf-token": who.csrf } : {}),
    ...c.init.headers,
  };
  return { method: c.init.method, headers, body: c.init.body as BodyInit | undefined };
}

describe(`fuzz: every route and form (${testDatabaseKind})`, () => {
  test("the generator covers every registered route", () => {
    const covered = new Set(routes.map((r) => `${r.method} ${r.path}`));
    // Static files, the spec itself, the socket (its own test below) and sign-out (it would end the fuzzing session).
    const skipped = new Set([
      "GET /api/openapi.json",
      "GET /favicon.ico",
      "GET /static/*",
      "GET /vendor/*",
      "WS /ws",
      "POST /logout",
    ]);
    const missing = h.app.routes
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`)
      .filter((r) => !covered.has(r) && !skipped.has(r));
    expect(missing).toEqual([]);
  });

  test(`${RUNS} generated requests: no 5xx, and no refusal changes anything`, async () => {
    const cases = fc.sample(caseArbitrary(routes), { numRuns: RUNS, seed: SEED });
    const errors: string[] = [];
    const changed: string[] = [];
    const statuses = new Map<number, number>();
    // FUZZ_DEBUG=1 prints how each route answered: a route only ever refused is not being explored.
    const byRoute = new Map<string, number>();
    let before = await stateSnapshot(h.ctx);
    for (const c of cases) {
      const res = await h.fetch(c.path, withClient(c));
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const key = `${c.route.method} ${c.route.path} ${res.status}`;
      byRoute.set(key, (byRoute.get(key) ?? 0) + 1);
      const what = `${c.init.method} ${c.path} [${c.client}] ${typeof c.init.body === "string" ? c.init.body.slice(0, 200) : ""} → ${res.status} ${text.slice(0, 160)}`;
      if (res.status >= 500 || /\bat .*\.tsx?:\d+/.test(text)) errors.push(what);
      const after = await stateSnapshot(h.ctx);
      if (res.status >= 400 && after !== before) changed.push(what);
      before = after;
    }
    if (process.env.FUZZ_DEBUG)
      console.log(JSON.stringify([...statuses].sort()), JSON.stringify(Object.fromEntries([...byRoute].sort())));
    const logged = h.logs.lines.filter((l) => l.level === "error").map((l) => JSON.stringify(l).slice(0, 300));
    expect(errors.slice(0, 10)).toEqual([]);
    expect(changed.slice(0, 10)).toEqual([]);
    expect(logged.slice(0, 5)).toEqual([]);
    // The cases reach the routes, not only the first check: successes and several kinds of refusal.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(RUNS / 20);
    expect([...statuses.keys()].filter((s) => s >= 400).length).toBeGreaterThanOrEqual(4);
  }, 120_000);

  test("parallel logins: one user's wrong guesses are counted before they are checked, the right password then waits too", async () => {
    h.ctx.loginLimits.byUser = new FailureLimiter(5, 15 * 60_000);
    h.ctx.loginLimits.byAddress = new FailureLimiter(20, 15 * 60_000);
    await addUser(h, "parallel", "the right password");
    const pre = "z".repeat(24);
    const login = (password: string, username = "parallel") =>
      h.fetch("/login", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", cookie: `pre_csrf=${pre}` },
        body: `username=${username}&password=${encodeURIComponent(password)}&_csrf=${pre}`,
      });
    const guesses = await Promise.all(Array.from({ length: 15 }, (_, i) => login(`guess number ${i}`)));
    expect(guesses.filter((r) => r.status === 429).length).toBe(10);
    expect(guesses.filter((r) => r.status === 200).length).toBe(5);
    expect((await login("the right password")).status).toBe(429);
    // Another user is not held up by it (the address limit is 20).
    await addUser(h, "bystander", "another right password");
    expect((await login("another right password", "bystander")).status).toBe(303);
  });
});

describe(`fuzz: WebSocket abuse (${testDatabaseKind})`, () => {
  test("garbage, floods and hostile upgrades leave the server serving and every socket answered", async () => {
    const server = Bun.serve({
      port: 0,
      fetch: createFetch(h.ctx, h.app),
      websocket: websocket as unknown as Bun.WebSocketHandler<unknown>,
    });
    (h.app as unknown as { server: typeof server }).server = server;
    h.ctx.priceHub.attach(server);
    const url = `ws://127.0.0.1:${server.port}/ws`;
    try {
      const open = (headers: Record<string, string>) => {
        const ws = new WebSocket(url, { headers } as unknown as string[]);
        const messages: any[] = [];
        ws.onmessage = (e) => messages.push(typeof e.data === "string" ? JSON.parse(e.data) : e.data);
        const opened = new Promise<boolean>((r) => ((ws.onopen = () => r(true)), (ws.onerror = () => r(false))));
        return { ws, messages, opened };
      };
      // Hostile upgrades are refused, never a 5xx.
      for (const headers of [
        { cookie: session.headers.cookie!, origin: "http://evil.example" },
        { cookie: "sid=%ZZ" },
        { authorization: "Bearer tma_forged" },
        {},
      ] as Record<string, string>[]) {
        expect(await open(headers).opened).toBe(false);
      }
      const c = open({ authorization: token.headers.authorization! });
      expect(await c.opened).toBe(true);
      const junk = [
        "",
        "{",
        "null",
        "[]",
        "\u0000",
        '{"op":"subscribe","symbols":["\u0000"]}',
        '{"op":"subscribe","symbols":[]}',
        JSON.stringify({ op: "subscribe", symbols: Array.from({ length: 5000 }, (_, i) => `S${i}`) }),
        '{"op":"rate","maxPerSecond":1e308}',
        '{"op":"rate","maxPerSecond":-1}',
        '{"event":"price_update","data":{"symbol":"%FF"}}',
        "[".repeat(5000) + "]".repeat(5000),
        "x".repeat(200_000),
        '{"op":"__proto__"}',
      ];
      for (const m of junk) c.ws.send(m);
      c.ws.send(new Uint8Array([0, 1, 2, 255]));
      for (let i = 0; i < 500; i++) c.ws.send('{"op":"ping"}');
      c.ws.send('{"op":"subscribe","symbols":["MES1!"]}');
      await until(() => c.messages.some((m) => m?.t === "subscribed"), 3000, 10);
      expect(c.messages.filter((m) => m?.t === "error").length).toBeGreaterThanOrEqual(5);
      expect(c.messages.filter((m) => m?.t === "pong").length).toBe(500);
      expect(c.messages.some((m) => m?.t === "subscribed")).toBe(true);
      // Fifty sockets opened and dropped at once; the registry forgets them all.
      const many = Array.from({ length: 50 }, () => open({ authorization: token.headers.authorization! }));
      await Promise.all(many.map((m) => m.opened));
      for (const m of many) m.ws.close();
      c.ws.close();
      await until(() => h.ctx.sockets.size === 0, 3000, 10);
      expect(h.ctx.sockets.size).toBe(0);
      expect((await fetch(`http://127.0.0.1:${server.port}/healthz`)).status).toBe(200);
      expect(h.logs.lines.filter((l) => l.level === "error").map((l) => JSON.stringify(l).slice(0, 300))).toEqual([]);
    } finally {
      server.stop(true);
    }
  }, 30_000);
});

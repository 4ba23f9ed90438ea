import fc from "fast-check";

/**
 * The fuzz suite's own generator: requests built from the OpenAPI description (`/api/openapi.json`)
 * and the pages' forms, with values chosen to break things — NUL bytes, broken percent-encoding,
 * numbers beyond the columns or off the tick grid, wrong types, missing and unknown fields — mixed
 * with valid ones so requests also get past the first check and reach the services.
 */

const T0 = Date.UTC(2025, 2, 3, 15, 0, 0);

/** Strings that have broken something, or could. */
export const HOSTILE_TEXT = [
  "",
  " ",
  "\u0000",
  "pa\u0000per",
  "%00",
  "%ZZ",
  "%FF%FE",
  "%E2%82",
  "\ud800",
  "😀",
  "x".repeat(3000),
  "1e21",
  "1e20",
  "1e-10",
  "5000.1234567891",
  "-1",
  "0",
  "-0",
  "1.5",
  "NaN",
  "Infinity",
  "9999999999999999",
  "99999999999999999999",
  "abc",
  "yesterday",
  "2026-13-45",
  "2026-02-30",
  "../../etc/passwd",
  "<script>alert(1)</script>",
  "'; drop table users; --",
  "bad/name",
  "MES",
  "MES1!",
  "MESZ5",
  "ES.c.0",
  "NQ",
  "XYZ",
  "paper",
  "live",
  "replay-1",
  "replay-999",
  "nope",
  "admin",
  "buy",
  "sell",
  "exit",
  "long",
  "short",
  "market",
  "limit",
  "stop",
  "stop_limit",
  "trailing_stop",
  "points",
  "ticks",
  "price",
  "atr",
  "fixed",
  "trailing",
  "stop-limit",
  "hold",
  "reverse",
  "breakeven",
  "regardless",
  "unless-profit",
  "play",
  "pause",
  "seek",
  "step",
  "speed",
  "close",
  "1",
  "2",
  "3",
  "8",
  "5000",
  "5000.25",
  "4990",
  "true",
  "false",
  "null",
  "json",
  "csv",
  "dbn",
  "1m",
  "1s",
  "simple",
  "wilder",
  "trades",
  "file",
  "archive",
  "2026-03-02",
  "2026-03-02T14:30:00Z",
  String(T0),
  "https://example.com/hook",
  "javascript:alert(1)",
  "db-" + "A".repeat(29),
];

export const HOSTILE_NUMBERS = [
  0,
  -0,
  -1,
  1,
  1.5,
  2,
  3,
  8,
  1e21,
  1e20,
  1e-10,
  5000.1234567891,
  5000,
  5000.25,
  4990,
  5002,
  1e308,
  -1e308,
  2 ** 53 + 2,
  10_001,
  100_000,
  T0,
  // biome-ignore lint/correctness/noPrecisionLoss: deliberately past 2^53, the value a client sends that loses digits
  9999999999999999,
];

const text = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_TEXT) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 12 }) },
);
const num = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_NUMBERS) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.integer() },
);

/** Any JSON value, weighted towards the hostile ones. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    { weight: 4, arbitrary: text },
    { weight: 4, arbitrary: num },
    { weight: 1, arbitrary: fc.boolean() },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.array(tie("v"), { maxLength: 3 }) },
    {
      weight: 1,
      arbitrary: fc.dictionary(
        fc.constantFrom("a", "MES", "__proto__", "constructor", "\u0000", "type", "value"),
        tie("v"),
        { maxKeys: 3 },
      ),
    },
  ),
})).v;

/** Valid bodies of the JSON routes, the starting points of mutations (keyed "METHOD /openapi/path"). */
const P = "/api/v1/accounts/{account}/positions/{symbol}";
const range = { schema: "trades", symbols: ["MES"], startMs: T0, endMs: T0 + 3_600_000 };
export const EXAMPLES: Record<string, unknown[]> = {
  "POST /api/place_order": [
    {
      ticker: "MES",
      action: "buy",
      orderType: "market",
      limitPrice: 5000.25,
      quantity: 1,
      stopLoss: { type: "stop", stopPrice: 4990 },
    },
    {
      ticker: "MES1!",
      action: "sell",
      quantity: 2,
      entry_price: 5000,
      stop_loss: { type: "trailing_stop", trailAmount: 4 },
    },
    { ticker: "MES", action: "exit", quantity: 1 },
    {
      active_orders: { MES: { action: "buy", quantity: 2, entry_price: 5000, stop_loss: null } },
      tp_levels: { MES: [{ enabled: true, quantity: 1, target: 2, price: 5002, hit: false }] },
    },
  ],
  "POST /api/save_tp_levels/{symbol}": [
    { tp_levels: [{ enabled: true, quantity: 1, target: 2, price: 5002, hit: false }] },
  ],
  "PUT /api/save_tp_level/{symbol}/{index}": [{ enabled: false, price: 5003, target: 3 }],
  "POST /api/v1/market/watch": [{ symbols: ["YM"] }],
  // Wide limits, so the orders the fuzzing sends still get through them.
  "PUT /api/v1/accounts/{account}/risk": [{ maxOrder: 9000, maxPosition: 90000, confirmAbove: 50 }, {}],
  "POST /api/v1/alerts": [
    { symbol: "MES", direction: "above", price: "6100" },
    { symbol: "MNQ1!", direction: "below", price: 20000, repeat: true },
  ],
  "PUT /api/v1/accounts/{account}/execution": [
    { route: "paper", commission: 1.5 },
    { route: "webhook", webhookUrl: "https://example.com/hook" },
  ],
  [`POST ${P}/orders`]: [
    {
      side: "buy",
      qty: 1,
      type: "limit",
      limitPrice: 5000,
      bracket: {
        ladder: [{ qty: 1, target: { unit: "ticks", value: 8 } }],
        stop: { kind: "fixed", initial: { unit: "points", value: 4 } },
        timer: { seconds: 300, action: "exit" },
      },
    },
    { side: "sell", qty: 2 },
  ],
  [`POST ${P}/record`]: [{ side: "long", qty: 1, entryPrice: 5000 }],
  [`POST ${P}/exit`]: [{ qty: 1 }, {}],
  [`DELETE ${P}`]: [{}],
  [`PUT ${P}/ladder`]: [{ levels: [{ enabled: true, qty: 1, target: { unit: "points", value: 2 } }], version: 1 }],
  [`PATCH ${P}/ladder/{index}`]: [{ enabled: false, qty: 1, target: { unit: "price", value: 5004 } }],
  [`PUT ${P}/stop`]: [
    { stop: { kind: "trailing", initial: { unit: "ticks", value: 8 }, trailBy: { unit: "ticks", value: 8 } } },
    { stop: { kind: "stop-limit", initial: { unit: "atr", multiplier: 2 }, limitOffsetTicks: 2 } },
  ],
  [`POST ${P}/stop/market`]: [{ version: 1 }],
  [`POST ${P}/stop/move`]: [{ price: 4990 }],
  [`PUT ${P}/timer`]: [{ timer: { seconds: 60, action: "hold", mode: "regardless" } }, { timer: null }],
  "POST /api/v1/replays": [
    { source: "archive", symbols: ["MES"], fromMs: T0, toMs: T0 + 3_600_000 },
    { source: "file", fileId: 1 },
  ],
  "POST /api/v1/replays/{id}/control": [
    { action: "seek", toMs: T0 },
    { action: "speed", speed: 5 },
    { action: "step", unit: "bar" },
  ],
  "POST /api/v1/replay-files/quote": [range],
  "POST /api/v1/replay-files/download": [{ ...range, confirmCost: 1.23 }],
};

/** The pages' forms and the fields they send (the hidden routes, which OpenAPI leaves out). */
const DESK = [
  "account",
  "symbol",
  "side",
  "type",
  "limitPrice",
  "orderId",
  "qty",
  "entryPrice",
  "all",
  "version",
  "dversion",
  "kind",
  "unit",
  "mode",
  "multiplier",
  "amount",
  "trailBy",
  "limitOffsetTicks",
  "trailAfterTp1",
  "breakeven",
  "thenTrail",
  "remove",
  "count",
  "qty_0",
  "unit_0",
  "value_0",
  "enabled_0",
  "add",
  "minutes",
  "action",
  "off",
];
export const FORMS: Record<string, string[]> = {
  "POST /login": ["username", "password", "_csrf", "next"],
  "POST /setup": ["token", "username", "password", "password2", "_csrf"],
  "POST /desk/order": DESK,
  "POST /desk/exit": DESK,
  "POST /desk/stop/market": DESK,
  "POST /desk/record": DESK,
  "POST /desk/clear": DESK,
  "POST /desk/cancel": DESK,
  "POST /desk/stop": DESK,
  "POST /desk/stop/preview": DESK,
  "POST /desk/ladder": DESK,
  "POST /desk/timer": DESK,
  "POST /settings/prefs": ["method", "period", "lookback", "multiplier", "confirm", "version"],
  "POST /settings/execution/{account}": ["route", "webhookUrl", "commission"],
  "POST /settings/risk/{account}": ["maxOrder", "maxPosition", "dailyLoss", "flattenBeforeCloseMin", "confirmAbove"],
  "POST /settings/risk/{account}/resume": [],
  "POST /settings/kill-switch": ["answer"],
  "POST /settings/alerts": ["symbol", "direction", "price", "repeat"],
  "POST /settings/alerts/{id}/remove": [],
  "POST /settings/keys": ["live", "archive", "clear"],
  "POST /settings/tokens": ["name"],
  "POST /settings/tokens/{name}/revoke": [],
  "POST /replay/new": ["source", "fileId", "symbols", "fromMs", "toMs"],
  "POST /replay/upload": ["file"],
  "POST /replay/quote": ["schema", "symbols", "startMs", "endMs"],
  "POST /replay/download": ["schema", "symbols", "startMs", "endMs", "confirmCost"],
  "POST /replay/{id}/control": ["action", "speed", "unit", "toMs"],
  "GET /": [],
  "GET /positions/body": [],
  "GET /desk": ["account", "symbol"],
  "GET /desk/state": ["account", "symbol"],
  "GET /journal": ["account", "symbol", "from", "to", "tag"],
  "GET /journal/body": ["account", "symbol", "from", "to", "tag"],
  "GET /settings": [],
  "GET /settings/archive": [],
  "GET /replay": [],
  "GET /replay/{id}/panel": [],
  "GET /docs": [],
  "GET /login": ["next"],
  "GET /setup": ["token"],
};

/** Query parameters any route might read. */
const QUERY = [
  "account",
  "symbol",
  "limit",
  "count",
  "from",
  "to",
  "format",
  "interval",
  "method",
  "period",
  "lookback",
  "risk",
  "stopPoints",
  "stopTicks",
  "tag",
  "next",
  "token",
];

export interface Route {
  method: string;
  /** OpenAPI style: /api/v1/accounts/{account}/positions/{symbol} */
  path: string;
  json: boolean;
  fields: string[];
}

export interface FuzzCase {
  route: Route;
  client: "token" | "session" | "other" | "none";
  path: string;
  init: { method: string; headers: Record<string, string>; body?: string | Uint8Array };
  csrf: boolean;
}

/** A path parameter: usually a plausible value percent-encoded, sometimes raw hostile encoding. */
const PARAM_VALUES: Record<string, string[]> = {
  account: ["paper", "live", "replay-1", "nope", "PAPER"],
  symbol: ["MES", "MES1!", "MNQ", "NQ", "XYZ", "mes"],
  ticker: ["MES", "MES1!", "MNQ", "XYZ"],
  index: ["0", "1", "5", "-1", "1.5", "99999", "abc"],
  id: ["1", "2", "0", "-1", "abc", "99999999999", "1e3"],
  name: ["fuzz-x", "nothing", "bad/name", "t"],
};
const rawParam = fc.constantFrom("%ZZ", "%FF%FE", "%00", "pa%00per", "%2F", "..", "%E2%82", "a%", "%C0%AF");
function param(name: string) {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...(PARAM_VALUES[name] ?? ["x"])).map(enc) },
    { weight: 2, arbitrary: text.map(enc) },
    { weight: 2, arbitrary: rawParam },
  );
}

/** One time in `n` a value, else nothing. */
const sometimes = <T>(arb: fc.Arbitrary<T>, n: number) =>
  fc.oneof({ weight: n - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

/** Sets, deletes or corrupts one place inside a valid body. */
function mutate(body: unknown, pick: number, value: unknown, op: number): unknown {
  const copy = structuredClone(body) as Record<string, unknown>;
  const slots: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (v: unknown) => {
    if (!v || typeof v !== "object") return;
    for (const k of Object.keys(v)) {
      slots.push({ parent: v as Record<string, unknown>, key: Array.isArray(v) ? Number(k) : k });
      walk((v as Record<string, unknown>)[k]);
    }
  };
  walk(copy);
  if (!slots.length || op === 0) return value;
  const s = slots[pick % slots.length]!;
  const parent = s.parent as Record<string | number, unknown>;
  if (op === 1 && !Array.isArray(parent)) delete parent[s.key];
  else if (op === 2) parent[`unknown_${pick % 3}`] = value;
  else parent[s.key] = value;
  return copy;
}

/** encodeURIComponent refuses a lone surrogate; a browser would send its replacement character's bytes. */
function enc(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return encodeURIComponent(s.toWellFormed());
  }
}
const urlencode = (pairs: [string, string][], raw: boolean) =>
  pairs.map(([k, v]) => `${enc(k)}=${raw ? v : enc(v)}`).join("&");

export function caseArbitrary(routes: Route[]): fc.Arbitrary<FuzzCase> {
  return fc.constantFrom(...routes).chain((route) => {
    const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    const params = fc.tuple(...names.map(param), fc.constant(""));
    const query = fc.oneof(
      { weight: 3, arbitrary: fc.constant("") },
      {
        weight: 4,
        arbitrary: fc
          .uniqueArray(fc.tuple(fc.constantFrom(...QUERY, ...route.fields), text), {
            maxLength: 4,
            selector: (p) => p[0],
          })
          .map((ps) => (ps.length ? `?${urlencode(ps, false)}` : "")),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom("?account=%00", "?limit=%ZZ", "?from=%FF", "?a=1&a=2", "?symbol=MES&symbol=%00"),
      },
    );
    const examples = EXAMPLES[`${route.method} ${route.path}`] ?? [];
    const jsonBody = fc.oneof(
      {
        weight: examples.length ? 6 : 0,
        arbitrary: fc
          .tuple(fc.constantFrom(...(examples.length ? examples : [{}])), fc.nat(), hostileJson, fc.nat(4))
          .map(([b, pick, v, op]) => JSON.stringify(mutate(b, pick, v, op))),
      },
      {
        weight: examples.length ? 1 : 0,
        arbitrary: fc.constantFrom(...(examples.length ? examples : [{}])).map((b) => JSON.stringify(b)),
      },
      { weight: 2, arbitrary: hostileJson.map((v) => JSON.stringify(v)) },
      { weight: 1, arbitrary: fc.constantFrom("{", "not json", "[1,2", '{"a":1}{', "\u0000", "") },
    );
    const formBody = fc
      .tuple(
        fc.uniqueArray(fc.tuple(fc.constantFrom(...route.fields, "_extra"), text), {
          maxLength: 8,
          selector: (p) => p[0],
        }),
        fc.boolean(),
      )
      .map(([pairs, raw]) => urlencode(pairs, raw && pairs.length > 0 && pairs.length % 2 === 0));
    const body = fc.oneof(
      {
        weight: route.json ? 6 : 1,
        arbitrary: jsonBody.map((b) => ({ type: "application/json", body: b as string | Uint8Array | undefined })),
      },
      {
        weight: route.json ? 1 : 6,
        arbitrary: formBody.map((b) => ({
          type: "application/x-www-form-urlencoded",
          body: b as string | Uint8Array | undefined,
        })),
      },
      { weight: 1, arbitrary: fc.constant({ type: "", body: undefined as string | Uint8Array | undefined }) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          { type: "multipart/form-data; boundary=xx", body: "garbage" as string | Uint8Array | undefined },
          {
            type: "multipart/form-data; boundary=xx",
            body: '--xx\r\nContent-Disposition: form-data; name="file"; filename="a.dbn"\r\n\r\nDBN\u0003junk\r\n--xx--\r\n',
          },
          { type: "text/plain", body: "hello" },
          { type: "application/octet-stream", body: new Uint8Array([0x44, 0x42, 0x4e, 3, 0, 0, 0, 0, 255, 255]) },
        ),
      },
    );
    const headers = fc.record({
      account: sometimes(fc.constantFrom("paper", "live", "nope", "%00", "PAPER"), 4),
      idem: sometimes(fc.constantFrom("k1", "", "x".repeat(200), "a b"), 4),
      origin: sometimes(fc.constantFrom("http://evil.example", "null", "http://localhost"), 8),
      hx: fc.boolean(),
      cookie: sometimes(fc.constantFrom("sid=%ZZ", "sid=", "sid=forged", "pre_csrf=short"), 10),
    });
    const client = fc.constantFrom<FuzzCase["client"]>("token", "token", "session", "session", "other", "none");
    // Mostly with the CSRF token, so requests get past it to the route; sometimes without.
    return fc
      .record({ params, query, body, headers, client, csrf: fc.nat(3).map((n) => n > 0) })
      .map(({ params, query, body, headers: hd, client, csrf }) => {
        let i = 0;
        const path = route.path.replace(/\{\w+\}/g, () => params[i++] as string) + query;
        const headers: Record<string, string> = {};
        if (body.type && route.method !== "GET") headers["content-type"] = body.type;
        if (hd.account !== undefined) headers["x-account"] = hd.account;
        if (hd.idem !== undefined) headers["idempotency-key"] = hd.idem;
        if (hd.origin !== undefined) headers.origin = hd.origin;
        if (hd.hx) headers["hx-request"] = "true";
        if (hd.cookie !== undefined) headers.cookie = hd.cookie;
        const init = {
          method: route.method,
          headers,
          ...(route.method === "GET" || body.body === undefined ? {} : { body: body.body }),
        };
        return { route, client, path, init, csrf };
      });
  });
}

// What bench/http-api.ts sends: the seeded state, the endpoints with their request bodies, and
// wrk. The same bodies, in the same order, go to our server and to the original.
import { $ } from "bun";
import { SIM_START_PRICE } from "../src/market-data/feeds/simulated-market";
import { CATALOGUE, type Instrument } from "../src/market-data/instruments/catalogue";
import { formatFixed } from "../src/shared/fixed-point";

/** A running server as the load sees it. */
export interface Target {
  label: string;
  base: string;
  headers: Record<string, string>;
  /** Makes a symbol flat with no TP levels. */
  clear(symbol: string): Promise<void>;
}

export interface Endpoint {
  name: string;
  method: "GET" | "POST" | "PUT";
  path: string;
  /** Request bodies, sent in this order and then again from the start; none for a GET. */
  bodies: string[];
  /**
   * wrk's threads take turns on one sequence (each request then differs from the one before
   * by one change, whichever thread sent it); else each thread walks the bodies on its own.
   */
  shared: boolean;
  /** After the re-seed, before the requests. */
  prepare?: (t: Target) => Promise<void>;
}

const price = (units: bigint) => Number(formatFixed(units));

/**
 * Twice the simulated market's start price, on the tick grid: the long trades' TP levels are
 * never reached, so the engine leaves the seeded state as it is.
 */
function entryOf(inst: Instrument): bigint {
  const start = SIM_START_PRICE[inst.root] ?? SIM_START_PRICE[inst.pair] ?? 100;
  const units = BigInt(Math.round(start * 2e9));
  return units - (units % inst.tickSize);
}

/** The original client's bulk form: every symbol long at its entry, 3 TP levels of 1 contract. */
function bulkBody(quantity: (index: number) => number): string {
  const active_orders: Record<string, unknown> = {};
  const tp_levels: Record<string, unknown> = {};
  CATALOGUE.forEach((inst, i) => {
    const entry = entryOf(inst);
    active_orders[inst.root] = {
      action: "buy",
      quantity: quantity(i),
      entry_price: price(entry),
      timestamp: 1_732_400_000,
    };
    tp_levels[inst.root] = [1n, 2n, 3n].map((k) => {
      const target = inst.tickSize * 4n * k;
      return { enabled: true, quantity: 1, target: price(target), price: price(entry + target), hit: false };
    });
  });
  return JSON.stringify({ active_orders, tp_levels });
}

/** 20 open trades × 3 TP levels: where every run starts from. */
export const SEED_BODY = bulkBody(() => 3);

const single = (inst: Instrument, action: "buy" | "sell") =>
  JSON.stringify({ ticker: inst.root, action, orderType: "market", limitPrice: price(entryOf(inst)), quantity: 1 });

/** `inFlight`: the most requests that can be outstanding at once (wrk's connections, a burst). */
export function endpoints(inFlight: number): Endpoint[] {
  const mes = CATALOGUE.find((i) => i.root === "MES")!;
  const n = CATALOGUE.length;
  // A symbol's sell comes 20 × passes requests after its buy, more than can be in flight: the
  // buy has been answered before the sell is sent, so the position never falls below the
  // seeded 3 that its ladder needs.
  const passes = Math.floor(inFlight / n) + 1;
  const rotation = (["buy", "sell"] as const).flatMap((side) =>
    Array.from({ length: passes }, () => CATALOGUE.map((i) => single(i, side))).flat(),
  );
  // Body i sets one more symbol's quantity to 4, then back to 3 one by one.
  const bulk = Array.from({ length: 2 * n }, (_, i) => bulkBody((s) => (i < n === s <= i % n ? 4 : 3)));
  return [
    { name: "GET /api/get_active_orders", method: "GET", path: "/api/get_active_orders", bodies: [], shared: false },
    { name: "GET /api/get_tp_levels/MES", method: "GET", path: "/api/get_tp_levels/MES", bodies: [], shared: false },
    {
      name: "POST /api/place_order single, 1 symbol",
      method: "POST",
      path: "/api/place_order",
      bodies: [single(mes, "buy"), single(mes, "sell")],
      shared: false,
      prepare: (t) => t.clear("MES"),
    },
    {
      name: "POST /api/place_order single, 20 symbols",
      method: "POST",
      path: "/api/place_order",
      bodies: rotation,
      shared: true,
    },
    { name: "POST /api/place_order bulk 20 × 3", method: "POST", path: "/api/place_order", bodies: bulk, shared: true },
    // 3 levels of 1 on a position of 3: disabling one never makes the ladder too large.
    {
      name: "PUT /api/save_tp_level/MES/0",
      method: "PUT",
      path: "/api/save_tp_level/MES/0",
      bodies: ['{"enabled":false}', '{"enabled":true}'],
      shared: false,
    },
  ];
}

async function call(t: Target, method: string, path: string, body?: string): Promise<string> {
  const headers = body === undefined ? t.headers : { ...t.headers, "content-type": "application/json" };
  const r = await fetch(t.base + path, { method, headers, body });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`${t.label}: ${method} ${path}: ${r.status} ${text.slice(0, 500)}`);
  return text;
}

/** The k-th request of an endpoint's sequence, answered 200. */
export function send(t: Target, e: Endpoint, k: number): Promise<string> {
  return call(t, e.method, e.path, e.bodies.length ? e.bodies[k % e.bodies.length] : undefined);
}

/** Back to the seeded state (not timed); returns what get_active_orders then lists. */
export async function seed(t: Target): Promise<string> {
  await call(t, "POST", "/api/place_order", SEED_BODY);
  const state = JSON.parse(await call(t, "GET", "/api/get_active_orders")) as {
    active_orders: object;
    tp_levels: Record<string, unknown[]>;
  };
  const symbols = Object.keys(state.active_orders).length;
  const levels = CATALOGUE.filter((i) => state.tp_levels[i.root]?.length === 3).length;
  if (symbols !== CATALOGUE.length || levels !== CATALOGUE.length)
    throw new Error(`${t.label}: seeding left ${symbols} trades, ${levels} with 3 TP levels`);
  return `${symbols} open trades × 3 TP levels`;
}

/** A wrk script sending the endpoint's requests with the target's headers. */
export function luaScript(e: Endpoint, headers: Record<string, string>, threads: number): string {
  const all = e.bodies.length ? { ...headers, "Content-Type": "application/json" } : headers;
  const lines = [
    `wrk.method = "${e.method}"`,
    ...Object.entries(all).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`),
  ];
  if (!e.bodies.length) return lines.join("\n");
  return [
    ...lines,
    // A JSON string literal is a valid Lua one.
    `local bodies = {\n${e.bodies.map((b) => JSON.stringify(b)).join(",\n")}\n}`,
    "local made = 0",
    'function setup(thread) thread:set("tid", made); made = made + 1 end',
    // wrk calls thread 1's request() once before the run to check it; that body is never sent.
    "local n = 0",
    "function init() if tid == 0 then n = -1 end end",
    "function request()",
    `  local k = ${e.shared ? `n * ${threads} + tid` : "n"}`,
    "  n = n + 1",
    "  return wrk.format(nil, nil, nil, bodies[k % #bodies + 1])",
    "end",
  ].join("\n");
}

export interface WrkRun {
  rps: number;
  /** Latency percentiles in ms. */
  p50: number;
  p99: number;
  /** wrk's "Socket errors" line, when it printed one. */
  socketErrors?: string;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function percentile(out: string, p: number): number {
  const m = new RegExp(`^\\s*${p}(?:\\.0+)?%\\s+([\\d.]+)(us|ms|s|m|h)\\s*$`, "m").exec(out);
  if (!m) throw new Error(`no ${p}% latency in wrk's output:\n${out}`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/** `wrk -t<threads> -c<connections> -d<seconds>s --latency`; any non-2xx answer is an error. */
export async function wrk(
  url: string,
  script: string,
  threads: number,
  connections: number,
  seconds: number,
): Promise<WrkRun> {
  const out = await $`wrk -t${threads} -c${connections} -d${seconds}s --latency -s ${script} ${url}`.text();
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1];
  if (non2xx) throw new Error(`wrk saw ${non2xx} error answers:\n${out}`);
  const socketErrors = /Socket errors: (.*)/.exec(out)?.[1];
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
    p50: percentile(out, 50),
    p99: percentile(out, 99),
    ...(socketErrors ? { socketErrors } : {}),
  };
}

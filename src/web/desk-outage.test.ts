import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { addTrader, createHarness, request, type Client, type Harness, printAt } from "./test-harness";

/**
 * The desk's HTML for the hard cases (in process): an off take-profit level, a jumped
 * stop-limit with its Convert to market button, and a symbol without prices on the desk, the
 * positions page, the status bar and /healthz.
 */
let h: Harness;
let api: Client;
let browser: Client;
const P = (s: string) => Math.round(Number(s) * 1e9);

beforeAll(async () => {
  // The engine as the server starts it (with shard leases on Postgres).
  h = await createHarness({}, { engine: true });
  ({ api, web: browser } = await addTrader(h, "desktrader"));
});
afterAll(() => h.close());

async function print(price: string, symbol = "MES") {
  await printAt(h, symbol, P(price));
}
const html = async (path: string) => (await h.fetch(path, { headers: browser.headers })).text();
/** A desk form post, as htmx sends it. */
const post = (path: string, fields: Record<string, string>) =>
  h.fetch(path, {
    method: "POST",
    headers: { ...browser.headers, "x-csrf-token": browser.csrf!, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });
const lines = (page: string) =>
  JSON.parse(
    page
      .match(/data-lines="([^"]*)"/)![1]!
      .replaceAll("&#34;", '"')
      .replaceAll("&amp;", "&"),
  );

describe("the desk in the hard cases", () => {
  test("an off level shows off and is not drawn; a jumped stop-limit can be converted to market", async () => {
    await print("5000.00");
    const order = await request(h, api, "POST", "/api/v1/accounts/paper/positions/MES/orders", {
      side: "buy",
      qty: 2,
      bracket: {
        stop: { kind: "stop-limit", initial: { unit: "points", value: "2" }, limitOffsetTicks: 2 },
        ladder: [
          { enabled: true, qty: 1, target: { unit: "ticks", value: 8 } },
          { enabled: false, qty: 1, target: { unit: "ticks", value: 16 } },
        ],
      },
    });
    expect(order.status).toBe(200);
    await print("5000.25");
    let page = await html("/desk/state?account=paper&symbol=MES");
    expect(page).toMatch(/<tr class="level-armed" data-level="0">/);
    expect(page).toMatch(/<tr class="level-off" data-level="1">[\s\S]*?<span class="badge badge-off"[^>]*>off<\/span>/);
    expect(lines(page).tps).toEqual([{ index: 0, n: 1, price: 5002, status: "armed" }]);

    // The stop (4998.00) fires on a print far below its limit (4997.50): the limit rests, passed.
    await print("4990.00");
    page = await html("/desk/state?account=paper&symbol=MES");
    expect(page).toContain("stop-limit 4997.50 — limit passed");
    expect(page).toContain(">Convert to market</button>");
    const version = page.match(/name="version" value="(\d+)"/)![1]!;
    const res = await post("/desk/stop/market", { account: "paper", symbol: "MES", version });
    expect(res.status).toBe(200);
    await print("4990.00");
    const view = (await request(h, api, "GET", "/api/v1/accounts/paper/positions/MES")).body.position;
    expect(view.qty).toBe(0);
    const closed = (await request(h, api, "GET", "/api/v1/journal?account=paper")).body.trades[0];
    expect(closed).toMatchObject({ qty: 2, entry: 5000, exit: 4990 });
  });

  test("no prices: the desk, the positions page, the status bar and /healthz say so", async () => {
    await print("20000.00", "MNQ");
    expect(
      (
        await request(h, api, "POST", "/api/v1/accounts/paper/positions/MNQ/record", {
          side: "short",
          qty: 1,
          entryPrice: "20000.00",
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await request(h, api, "POST", "/api/v1/accounts/live/positions/MNQ/record", {
          side: "short",
          qty: 3,
          entryPrice: "20000.00",
        })
      ).status,
    ).toBe(200);
    const since = Date.now() - 61_000;
    h.ctx.engine.feed({ type: "feed", symbol: "MNQ", up: false, sinceMs: since, tsMs: Date.now() });
    await h.ctx.engine.settled();

    const desk = await html("/desk?account=paper&symbol=MNQ");
    expect(desk).toMatch(
      /<strong>Unprotected:<\/strong> <span>no prices for MNQ since \d\d:\d\d:\d\d CT — stops and take-profits cannot fire; Exit all still works<\/span>/,
    );
    expect(desk).toContain(">unprotected: MNQ</span>");
    expect(desk).toContain(`data-unprotected="[&#34;paper:MNQ&#34;,&#34;live:MNQ&#34;]"`);
    const overview = await html("/positions/body");
    expect(overview.match(/class="row-unprotected"/g)?.length).toBe(2);
    expect(overview).toMatch(/unprotected since \d\d:\d\d:\d\d CT/);
    const health = (await (await h.fetch("/healthz")).json()) as Record<string, unknown>;
    expect(health.unprotected).toEqual({ positions: 2, symbols: ["MNQ"], sinceMs: since });
    expect(JSON.stringify(health)).not.toMatch(/paper|trader|"live"/);

    // The first print makes them protected again.
    await print("20001.00", "MNQ");
    const after = (await (await h.fetch("/healthz")).json()) as { unprotected: unknown };
    expect(after.unprotected).toEqual({ positions: 0, symbols: [], sinceMs: null });
    expect(await html("/positions/body")).not.toContain("row-unprotected");
  });
});

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { startSimulatedGateway, type SimulatedGateway } from "../market-data/feeds/simulated-gateway";
import { ARTIFACTS, type E2eApp, e2eSuite, haveChromium, signedIn, watchErrors } from "./e2e-harness";
import { until } from "../shared/testing";

/**
 * A feed outage in real Chromium (docs/trading-rules.md R7.1, R1.2, R4.1): the app starts on a
 * Databento key whose gateway address has nothing listening, so no price ever arrives; a paper
 * and a webhook position are shown unprotected everywhere, Exit all works on both, and when a
 * gateway answers there the first print fills both exits and the alarm goes away.
 */
if (!haveChromium) console.warn("!!! SKIPPED: outage browser tests — no Chromium (apt-get install chromium)");

const KEY = "db-" + "OutageTestKey".padEnd(29, "Q");
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };

/** A port nothing listens on (taken and given back at once). */
function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

let app: E2eApp;
let browser: Browser;
let gateway: SimulatedGateway | undefined;
let userId: number;
let token: string;
const gatewayPort = freePort();
const errors: string[] = [];
/** The broker bridge: records every order it is sent and answers 200 ("sent"). */
const posts: { body: Record<string, unknown>; idempotencyKey: string | null }[] = [];
const bridge = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    if (req.method === "POST")
      posts.push({
        body: (await req.json()) as Record<string, unknown>,
        idempotencyKey: req.headers.get("idempotency-key"),
      });
    return Response.json({ ok: true });
  },
});

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(app.server.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

describe.skipIf(!haveChromium)("a feed outage in Chromium", () => {
  const env = {
    DATABENTO_API_KEY: KEY,
    DATABENTO_GATEWAY: `127.0.0.1:${gatewayPort}`,
    // The archive's Historical requests go nowhere either (no network in tests).
    DATABENTO_HISTORICAL_URL: `http://127.0.0.1:${freePort()}`,
    ARCHIVE_SYMBOLS: "MES",
  };
  e2eSuite({ name: "outage", username: "trader", env }, (s) => ({ app, browser, userId } = s));
  beforeAll(async () => {
    token = (await app.server.ctx.tokens.create(userId, "e2e", { kind: "cli", label: "e2e", userId: null })).token;
  });
  afterAll(() => {
    gateway?.stop();
    bridge.stop(true);
  });

  test("unprotected on the desk, positions page, status bar and /healthz; exits work; the first print fills them", async () => {
    const page = watchErrors(await (await signedIn(browser, app.server, userId, DESKTOP)).newPage(), errors);

    // The live account sends to the bridge: set in Settings, as a trader would.
    await page.goto(`${app.server.url}/settings`);
    const live = page
      .getByRole("region", { name: "Accounts and execution" })
      .getByRole("form", { name: "live account execution" });
    await live.getByLabel("Route").selectOption("webhook");
    await live.getByLabel("Webhook URL").fill(`http://127.0.0.1:${bridge.port}/hook`);
    await live.getByRole("button", { name: "Save" }).click();
    await page.getByText("live: saved (webhook URL replaced).").waitFor();

    // No price has ever come: both positions are recorded by hand (no order is sent for that).
    await page.goto(`${app.server.url}/desk?account=paper&symbol=MES`);
    const position = page.getByRole("region", { name: "Position" });
    const ticket = page.getByRole("region", { name: "Order ticket" });
    await ticket.getByText("Record a position by hand").click();
    await ticket.getByLabel("Side").selectOption("long");
    await ticket.getByLabel("Contracts").fill("2");
    await ticket.getByLabel("Entry price").fill("5000.00");
    await ticket.getByRole("button", { name: "Record" }).click();
    await position.getByText("Long 2").waitFor({ timeout: 5000 });
    expect(
      (await api("POST", "/api/v1/accounts/live/positions/MES/record", { side: "long", qty: 1, entryPrice: "5000.00" }))
        .status,
    ).toBe(200);

    // Within seconds (a short grace, then the once-a-second check) the desk says so by itself.
    const banner = position.getByRole("alert");
    await banner
      .getByText(
        /^no prices for MES since \d\d:\d\d:\d\d CT — stops and take-profits cannot fire; Exit all still works$/,
      )
      .waitFor({ timeout: 15_000 });
    expect(await banner.textContent()).toMatch(/^Unprotected: no prices for MES since \d\d:\d\d:\d\d CT/);
    const status = page.locator(".statusbar");
    await status.getByText("unprotected: MES", { exact: true }).waitFor({ timeout: 3000 });
    await page
      .getByRole("region", { name: "Trade log" })
      .getByText(/unprotected: no prices for MES since/)
      .first()
      .waitFor({ timeout: 3000 });
    await shot(page, "outage-desk-desktop");

    // /healthz: how many and which symbols, since when; nothing about whose.
    const health = (await (await fetch(app.server.url + "/healthz")).json()) as Record<string, any>;
    expect(health.unprotected).toEqual({ positions: 2, symbols: ["MES"], sinceMs: expect.any(Number) });
    expect(health).toMatchObject({ status: "ok", feed: { kind: "databento" } });
    expect(JSON.stringify(health)).not.toMatch(/trader|paper|"live"|account/);

    // The positions page marks both rows.
    const overview = watchErrors(await (await signedIn(browser, app.server, userId, DESKTOP)).newPage(), errors);
    await overview.goto(`${app.server.url}/`);
    for (const account of ["paper", "live"]) {
      await overview
        .getByRole("region", { name: `${account} account` })
        .getByRole("row", { name: /MES/ })
        .getByText(/^unprotected since \d\d:\d\d:\d\d CT$/)
        .waitFor({ timeout: 3000 });
    }
    await overview.locator(".statusbar").getByText("unprotected: MES").waitFor();
    await shot(overview, "outage-positions-desktop");

    // Exit all on the desk (paper): a market exit that waits for a price.
    await ticket.getByRole("button", { name: "Exit all" }).click();
    const working = position.getByRole("list", { name: "Working orders" });
    await working.getByText("exit working — waiting for a price").waitFor({ timeout: 5000 });
    await position.getByText("Long 2").waitFor();
    await shot(page, "outage-desk-exit-working-desktop");

    // Exit all through the API on the webhook account: sent at once, with no price.
    const exit = await api("POST", "/api/v1/accounts/live/positions/MES/exit", {});
    expect(exit.status).toBe(200);
    await until(() => posts.length > 0, 5000, 100);
    expect(posts.length).toBe(1);
    expect(posts[0]!.body).toMatchObject({
      ticker: "MES",
      action: "sell",
      orderType: "market",
      quantity: 1,
      extras: { purpose: "exit" },
    });
    expect("price" in posts[0]!.body).toBe(false);
    expect(posts[0]!.idempotencyKey).toBeTruthy();
    const liveView = (await api("GET", "/api/v1/accounts/live/positions/MES")).body.position;
    expect(liveView.working).toMatchObject([{ purpose: "exit", qty: 1, type: "market", state: "waiting for a price" }]);
    expect(liveView.unprotected).toMatchObject({ sinceMs: expect.any(Number) });

    // Phone width: the banner and the working exit are the first things under the chart's card.
    const phone = watchErrors(await (await signedIn(browser, app.server, userId, PHONE)).newPage(), errors);
    await phone.goto(`${app.server.url}/desk?account=paper&symbol=MES`);
    await phone.getByRole("region", { name: "Position" }).getByRole("alert").waitFor();
    await shot(phone, "outage-desk-phone");
    await phone.goto(`${app.server.url}/`);
    await phone
      .getByText(/^unprotected since/)
      .first()
      .waitFor();
    await shot(phone, "outage-positions-phone");

    // Prices return: a gateway answers where the app expects it and the feed connects again.
    const md = app.server.ctx.marketData;
    let firstPrint: number | undefined;
    md.bus.subscribe({
      trade: (t) => {
        if (firstPrint === undefined && md.rootOf(t.instrumentId) === "MES") firstPrint = t.price;
      },
    });
    gateway = startSimulatedGateway({ apiKey: KEY, port: gatewayPort });
    // A fresh session at once, rather than waiting out the client's reconnect backoff.
    md.stop();
    await md.start();

    // Both exits fill at the first print; the trades are in the journal; the alarm is gone.
    await position.getByText(/Flat/).waitFor({ timeout: 15_000 });
    expect(firstPrint).toBeDefined();
    await app.server.ctx.engine.settled();
    const journal = (await api("GET", "/api/v1/journal?symbol=MES")).body;
    const byAccount = Object.fromEntries((journal.trades as any[]).map((t) => [t.account, t]));
    expect(Object.keys(byAccount).sort()).toEqual(["live", "paper"]);
    expect(byAccount.paper).toMatchObject({ side: "long", qty: 2, entry: 5000, exit: firstPrint! / 1e9 });
    expect(byAccount.live).toMatchObject({ side: "long", qty: 1, entry: 5000, exit: firstPrint! / 1e9 });
    expect(await position.getByRole("alert").count()).toBe(0);
    await status.getByText(/unprotected/).waitFor({ state: "hidden", timeout: 3000 });
    await page
      .getByRole("region", { name: "Trade log" })
      .getByText(/prices for MES again after/)
      .first()
      .waitFor({ timeout: 3000 });
    await overview
      .getByRole("region", { name: "paper account" })
      .getByText("No open trades.")
      .waitFor({ timeout: 3000 });
    expect(await overview.getByText(/^unprotected since/).count()).toBe(0);
    await overview
      .locator(".statusbar")
      .getByText(/unprotected/)
      .waitFor({ state: "hidden", timeout: 3000 });
    const after = (await (await fetch(app.server.url + "/healthz")).json()) as Record<string, any>;
    expect(after.unprotected).toEqual({ positions: 0, symbols: [], sinceMs: null });
    await shot(page, "outage-desk-recovered-desktop");

    expect(errors).toEqual([]);
  }, 120_000);
});

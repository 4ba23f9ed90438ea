import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { fromExchangeTime } from "../market-data/instruments/trading-hours";
import { toJson } from "../persistence/repositories/engine-repo";
import { ARTIFACTS, type E2eApp, e2eSuite, haveChromium, signedIn, watchErrors } from "./e2e-harness";

/**
 * The journal in Chromium: days in exchange time (a trade closed at 23:30 CT belongs to that CT
 * day, not the next UTC one), averaged prices on the tick grid, the CSV with UTC and CT times, and
 * its pictures — equity curve, net by exit reason, by hour (CT) and by symbol — at desktop and
 * phone size.
 */
if (!haveChromium) console.warn("!!! SKIPPED: journal browser tests — no Chromium (apt-get install chromium)");

let app: E2eApp;
let browser: Browser;
let userId: number;
const errors: string[] = [];
const USD = 1_000_000_000n;

/** A closed trade as the engine stores one, closed at `closedMs` by an order of `purpose`. */
async function seed(n: number, symbol: string, closedMs: number, net: number, purpose: string, exit = 6001) {
  const accountId = await app.server.ctx.trading.accountId(userId, "paper");
  const pnl = BigInt(Math.round(net * 100)) * (USD / 100n);
  await app.server.ctx.db
    .insertInto("closed_trades")
    .values({
      trade_id: `${accountId}:${symbol}:t${n}`,
      account_id: accountId,
      symbol,
      side: "long",
      qty: 3,
      entry: "6000.083333333",
      exit: String(exit),
      opened_at: new Date(closedMs - 600_000),
      closed_at: new Date(closedMs),
      realized: String(net),
      commissions: "0",
      exit_reasons: JSON.stringify([`${purpose} by test`]),
      fills: toJson([
        { orderId: "o1", qty: 3, price: 6000e9, purpose: "entry", pnl: 0n, commission: 0n, closes: false },
        { orderId: "o2", qty: 3, price: exit * 1e9, purpose, pnl, commission: 0n, closes: true },
      ]),
    } as never)
    .execute();
}

describe.skipIf(!haveChromium)("the journal in Chromium", () => {
  e2eSuite({ name: "journal", username: "journaler" }, (s) => ({ app, browser, userId } = s));

  test("CT days, tick-grid prices, CSV in UTC and CT, and the pictures of how it went", async () => {
    // 1 Dec 2025 23:30 CT is 2 Dec 05:30 UTC: it belongs to the 1st on the exchange's clock.
    const late = fromExchangeTime(2025, 12, 1, 23, 30);
    await seed(1, "MES", fromExchangeTime(2025, 12, 1, 9, 15), 120, "tp");
    await seed(2, "MES", late, -45, "stop");
    await seed(3, "MNQ", fromExchangeTime(2025, 12, 2, 10, 5), 80.5, "timer");
    await seed(4, "ES", fromExchangeTime(2025, 12, 2, 13, 40), -150, "risk");
    await seed(5, "MES", fromExchangeTime(2025, 12, 2, 8, 31), 30, "exit");

    const page = watchErrors(await (await signedIn(browser, app.server, userId)).newPage(), errors);
    await page.goto(`${app.server.url}/journal?from=2025-12-01&to=2025-12-01`);
    const trades = page.getByRole("region", { name: "Closed trades" });
    await trades.getByText("2025-12-01 23:30").waitFor();
    expect(await trades.locator("tbody tr").count()).toBe(2);
    // The averaged entry 6000.083333 is shown on MES's tick grid.
    expect(await trades.getByRole("cell", { name: "6000.00" }).count()).toBe(2);

    const csv = await page.evaluate(async () =>
      (await fetch(document.querySelector<HTMLAnchorElement>("a[download]")!.href)).text(),
    );
    const lines = csv.trim().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toEndWith(",opened_at_ct,closed_at_ct");
    expect(csv).toContain(",2025-12-02T05:30:00.000Z,");
    expect(csv).toContain(",2025-12-01 23:30:00");

    await page.goto(`${app.server.url}/journal`);
    const pictures = page.getByRole("region", { name: "Pictures" });
    for (const name of [/Equity curve/, /By exit reason/, /By hour \(CT\)/, /By symbol/])
      await pictures.getByRole("img", { name }).locator("canvas").first().waitFor();
    const drawn = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement & { uplot?: any }>("[data-journal-chart]")].map((el) => [
        el.dataset.journalChart,
        el.uplot.data[1],
      ]),
    );
    expect(Object.fromEntries(drawn)).toEqual({
      equity: [120, 75, 105, 185.5, 35.5],
      byCause: [30, -150, -45, 120, 80.5],
      byHour: [-45, 30, 120, 80.5, -150],
      bySymbol: [-150, 105, 80.5],
    });
    await page.screenshot({ path: join(ARTIFACTS, "journal-pictures-desktop.png"), fullPage: true });
    const phone = watchErrors(
      await (await signedIn(browser, app.server, userId, { width: 390, height: 844 })).newPage(),
      errors,
    );
    await phone.goto(`${app.server.url}/journal`);
    await phone
      .getByRole("img", { name: /Equity curve/ })
      .locator("canvas")
      .first()
      .waitFor();
    expect(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await phone.screenshot({ path: join(ARTIFACTS, "journal-pictures-phone.png"), fullPage: true });
    expect(errors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
  }, 60_000);
});

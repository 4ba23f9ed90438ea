import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { ARTIFACTS, type E2eApp, e2eSuite, haveChromium, signedIn, watchErrors } from "./e2e-harness";
import { until } from "../shared/testing";

/** Settings and the journal in Chromium: each section saves, secrets stay write-only. */
if (!haveChromium) console.warn("!!! SKIPPED: settings/journal browser tests — no Chromium (apt-get install chromium)");

let app: E2eApp;
let browser: Browser;
let userId: number;
const errors: string[] = [];

describe.skipIf(!haveChromium)("settings and journal in Chromium", () => {
  e2eSuite({ name: "settings", username: "setter" }, (s) => ({ app, browser, userId } = s));

  test("preferences, execution with a write-only webhook, Databento keys, API tokens, archive progress", async () => {
    const page = watchErrors(await (await signedIn(browser, app.server, userId)).newPage(), errors);
    await page.goto(`${app.server.url}/settings`);

    const prefs = page.getByRole("region", { name: "Trading preferences" });
    await prefs.getByLabel("ATR method").selectOption("wilder");
    await prefs.getByLabel("ATR period (bars)").fill("20");
    await prefs.getByRole("button", { name: "Save preferences" }).click();
    await prefs.getByText("Preferences saved.").waitFor();
    expect((await app.server.ctx.settings.prefs(userId)).value.atr).toMatchObject({ method: "wilder", period: 20 });
    // The browser itself refuses a period of 0 (min="1"); the server refuses what slips past.
    await prefs.getByLabel("ATR stop multiplier").fill("-1");
    await prefs.getByRole("button", { name: "Save preferences" }).click();
    await prefs
      .getByRole("alert")
      .getByText(/multiplier/)
      .waitFor();
    expect((await app.server.ctx.settings.prefs(userId)).value.atr.multiplier).toBe(10);

    const exec = page.getByRole("region", { name: "Accounts and execution" });
    const live = exec.getByRole("form", { name: "live account execution" });
    await live.getByLabel("Webhook URL").fill("https://bridge.example/hook/s3cret-path");
    await live.getByLabel(/Commission/).fill("0.62");
    await live.getByRole("button", { name: "Save" }).click();
    await exec.getByText("live: saved (webhook URL replaced).").waitFor();
    expect(await page.content()).not.toContain("s3cret-path");
    expect(
      await exec
        .getByRole("form", { name: "live account execution" })
        .getByLabel("Webhook URL")
        .getAttribute("placeholder"),
    ).toContain("set (");

    const keys = page.getByRole("region", { name: "Databento keys" });
    await keys.getByLabel("Live key").fill("not-a-key");
    await keys.getByRole("button", { name: "Save keys" }).click();
    await keys.getByText(/starts with db-/).waitFor();
    await keys.getByLabel("Live key").fill("db-" + "Q".repeat(29));
    await keys.getByRole("button", { name: "Save keys" }).click();
    await keys.getByText(/restart the app to use it/).waitFor();
    expect(await page.content()).not.toContain("Q".repeat(29));

    const tokens = page.getByRole("region", { name: "API tokens" });
    await tokens.getByLabel("New token name").fill("tradingview");
    await tokens.getByRole("button", { name: "Create token" }).click();
    const shown = (await tokens.locator("pre.token").textContent())!.trim();
    const res = await fetch(`${app.server.url}/api/v1/accounts`, { headers: { authorization: `Bearer ${shown}` } });
    expect(res.status).toBe(200);
    page.once("dialog", (d) => d.accept());
    await tokens.getByRole("button", { name: "Revoke" }).click();
    await tokens.getByText("Token tradingview revoked.").waitFor();
    expect(
      (await fetch(`${app.server.url}/api/v1/accounts`, { headers: { authorization: `Bearer ${shown}` } })).status,
    ).toBe(401);

    const archive = page.getByRole("region", { name: "Archive" });
    expect(await archive.locator("progress").count()).toBe(8);
    await page.screenshot({ path: join(ARTIFACTS, "settings-desktop.png"), fullPage: true });

    const phone = watchErrors(
      await (await signedIn(browser, app.server, userId, { width: 390, height: 844 })).newPage(),
      errors,
    );
    await phone.goto(`${app.server.url}/settings`);
    await phone.screenshot({ path: join(ARTIFACTS, "settings-phone.png"), fullPage: true });
    expect(errors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
  }, 60_000);

  test("the journal lists a closed trade with its reasons and exports CSV", async () => {
    const { token } = await app.server.ctx.tokens.create(userId, "journal", {
      kind: "cli",
      label: "e2e",
      userId: null,
    });
    const h = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const get = async (path: string) => await (await fetch(`${app.server.url}${path}`, { headers: h })).json();
    const position = async () => (await get("/api/v1/accounts/paper/positions/MNQ")).position as { qty: number };
    await until(() => !!app.server.ctx.engine.engine.lastPrice("MNQ"), 2000, 20);
    expect(
      (
        await fetch(`${app.server.url}/api/v1/accounts/paper/positions/MNQ/orders`, {
          method: "POST",
          headers: h,
          body: JSON.stringify({ side: "sell", qty: 2 }),
        })
      ).status,
    ).toBe(200);
    // The sell's fill lands a moment after the answer.
    await until(async () => (await position())?.qty === 2, 2000, 20);
    expect(
      (
        await fetch(`${app.server.url}/api/v1/accounts/paper/positions/MNQ/exit`, {
          method: "POST",
          headers: h,
          body: "{}",
        })
      ).status,
    ).toBe(200);
    // The exit's fill is a closed trade in the journal.
    await until(async () => (await get("/api/v1/journal")).trades.length > 0, 2000, 20);
    const page = watchErrors(await (await signedIn(browser, app.server, userId)).newPage(), errors);
    await page.goto(`${app.server.url}/journal`);
    const trades = page.getByRole("region", { name: "Closed trades" });
    await trades.getByText(/exit all by/).waitFor();
    expect(await trades.getByRole("cell", { name: "MNQ" }).count()).toBe(1);
    const summary = page.getByRole("region", { name: "Summary" });
    expect(await summary.textContent()).toContain("Trades1");
    const csv = await page.evaluate(async () =>
      (await fetch(document.querySelector<HTMLAnchorElement>("a[download]")!.href)).text(),
    );
    expect(csv.split("\n")[1]).toContain(",paper,MNQ,short,2,");
    await page.screenshot({ path: join(ARTIFACTS, "journal-desktop.png"), fullPage: true });
    const phone = watchErrors(
      await (await signedIn(browser, app.server, userId, { width: 390, height: 844 })).newPage(),
      errors,
    );
    await phone.goto(`${app.server.url}/journal`);
    await phone.screenshot({ path: join(ARTIFACTS, "journal-phone.png"), fullPage: true });
    expect(errors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
  }, 60_000);
});

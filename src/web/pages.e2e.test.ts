import { clientMesLong } from "./test-harness";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import type { RunningServer } from "../app/server";
import type { memoryLogger } from "../log/logger";
import { ARTIFACTS, e2eSuite, haveChromium, watchErrors } from "./e2e-harness";

/**
 * The pages in real headless Chromium (Debian's, not a downloaded one), with screenshots at
 * desktop and phone widths in test-artifacts/ to look at.
 */
if (!haveChromium) console.warn("!!! SKIPPED: browser tests — no Chromium (apt-get install chromium)");

let server: RunningServer;
let browser: Browser;
let logs: ReturnType<typeof memoryLogger>;
const consoleErrors: string[] = [];

describe.skipIf(!haveChromium)("pages in Chromium", () => {
  // No user: the first-run setup makes the first one.
  e2eSuite({ name: "e2e" }, (s) => {
    ({ server, logs } = s.app);
    browser = s.browser;
  });

  async function newPage(width: number, height: number): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height } });
    return watchErrors(await context.newPage(), consoleErrors);
  }

  test("first-run setup, the overview with a trade, the API docs, sign out and a failed sign-in", async () => {
    const setupUrl = logs.lines.find((l) => l.event === "setup.required")?.setup_url as string;
    expect(setupUrl).toContain("/setup?token=");
    const page = await newPage(1280, 800);
    await page.goto(setupUrl);
    await page.screenshot({ path: join(ARTIFACTS, "setup-desktop.png"), fullPage: true });
    await page.getByLabel("Username").fill("alice");
    await page.getByLabel("Password", { exact: false }).first().fill("correct horse battery");
    await page.getByLabel("Repeat password").fill("correct horse battery");
    await page.getByRole("button", { name: "Create user" }).click();
    await page.waitForURL(server.url + "/");
    expect(await page.getByRole("region", { name: "paper account" }).isVisible()).toBe(true);

    // A trade and a ladder through the original API, as an existing client would send them.
    const { token } = await server.ctx.tokens.create((await server.ctx.users.findByUsername("alice"))!.id, "e2e", {
      kind: "cli",
      label: "e2e",
      userId: null,
    });
    const res = await fetch(`${server.url}/api/place_order`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({
        active_orders: {
          MES: clientMesLong(3),
          MCL: { action: "sell", quantity: 2, entry_price: 71.37 },
        },
        tp_levels: {
          MES: [
            { enabled: true, quantity: 1, target: 2, price: 5014.25, hit: true },
            { enabled: true, quantity: 2, target: 4, price: 5016.25, hit: false },
          ],
        },
      }),
    });
    expect(res.status).toBe(200);
    await page.reload();
    const paper = page.getByRole("region", { name: "paper account" });
    expect(await paper.getByRole("cell", { name: "5012.25" }).count()).toBe(1);
    expect(await paper.getByRole("cell", { name: "71.37" }).count()).toBe(1);
    expect(await page.getByText("opened long 3 MES @ 5012.25").count()).toBe(1);
    // The status bar says which feed is live, and its socket keeps it so.
    expect(await page.locator("[data-feed-name]").textContent()).toBe("Simulated feed");
    await page.waitForFunction(() => document.querySelector("[data-feed]")?.className.includes("feed-sim"));
    expect(await page.locator("[data-exchange-clock]").textContent()).toMatch(/^CT \d\d:\d\d:\d\d$/);
    // Last and P&L follow the feed between renders, and agree with each other.
    const rendered = await paper.locator("tr[data-symbol=MES] [data-last]").textContent();
    await page.waitForFunction(
      (r) => document.querySelector("#positions tr[data-symbol=MES] [data-last]")?.textContent !== r,
      rendered,
      { timeout: 5000 },
    );
    const row = await page.evaluate(() => {
      const tr = document.querySelector<HTMLElement>("#positions tr[data-symbol=MES]")!;
      const d = tr.dataset;
      return {
        avg: d.avg,
        qty: d.qty,
        side: d.side,
        last: tr.querySelector("[data-last]")!.textContent,
        pnl: tr.querySelector("[data-pnl]")!.textContent,
      };
    });
    const expected = (Number(row.last) - Number(row.avg)) * Number(row.qty) * 5 * (row.side === "long" ? 1 : -1);
    expect(row.pnl).toBe(
      `${expected < 0 ? "-" : ""}$${Math.abs(expected).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`,
    );
    await page.screenshot({ path: join(ARTIFACTS, "positions-desktop.png"), fullPage: true });

    await page.getByRole("link", { name: "API" }).click();
    await page.waitForURL(server.url + "/docs");
    expect(await page.getByText("/api/place_order").count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, "docs-desktop.png") });

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(server.url + "/login");
    await page.getByLabel("Username").fill("alice");
    await page.getByLabel("Password").fill("wrong password!!");
    await page.getByRole("button", { name: "Sign in" }).click();
    expect(await page.getByRole("alert").textContent()).toBe("Wrong username or password.");
    await page.screenshot({ path: join(ARTIFACTS, "login-error-desktop.png") });
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(server.url + "/");
    await page.context().close();

    const phone = await newPage(390, 844);
    await phone.goto(server.url + "/login");
    await phone.screenshot({ path: join(ARTIFACTS, "login-phone.png") });
    await phone.getByLabel("Username").fill("alice");
    await phone.getByLabel("Password").fill("correct horse battery");
    await phone.getByRole("button", { name: "Sign in" }).click();
    await phone.waitForURL(server.url + "/");
    await phone.screenshot({ path: join(ARTIFACTS, "positions-phone.png"), fullPage: true });
    // Every position's P&L on the screen, and the page does not scroll sideways.
    const pnl = await phone
      .locator("#positions [data-pnl]")
      .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().right));
    expect(pnl.length).toBeGreaterThan(0);
    for (const right of pnl) expect(right).toBeLessThanOrEqual(390);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    // No page of the app scrolls sideways on a phone (wide tables keep their essential columns).
    const wide: string[] = [];
    for (const path of ["/desk?account=paper&symbol=MES", "/journal", "/replay", "/settings", "/docs"]) {
      await phone.goto(server.url + path);
      await phone.waitForLoadState("networkidle");
      const w = await phone.evaluate(() => document.documentElement.scrollWidth);
      if (w > 390) wide.push(`${path}: ${w}px`);
    }
    expect(wide).toEqual([]);
    await phone.context().close();

    expect(consoleErrors).toEqual([]);
  }, 60_000);
});

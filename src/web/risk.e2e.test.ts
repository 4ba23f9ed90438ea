import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { ARTIFACTS, type E2eApp, e2eSuite, haveChromium, signedIn, watchErrors } from "./e2e-harness";

/**
 * Risk limits in Chromium: set on Settings (a refusal beside its field, what was typed kept),
 * refused on the desk in the same words, the kill switch from the desk, the ticket keeping the
 * trader's quantity when the position goes flat, and a confirmation above the trader's size.
 */
if (!haveChromium) console.warn("!!! SKIPPED: risk browser tests — no Chromium (apt-get install chromium)");

let app: E2eApp;
let browser: Browser;
let userId: number;
const errors: string[] = [];

describe.skipIf(!haveChromium)("risk limits in Chromium", () => {
  e2eSuite({ name: "risk", username: "careful" }, (s) => ({ app, browser, userId } = s));

  test("limits on Settings, a refusal on the desk, the kill switch, the ticket's quantity, a large order confirmed", async () => {
    const page = watchErrors(await (await signedIn(browser, app.server, userId)).newPage(), errors);
    await page.goto(`${app.server.url}/settings`);
    const risk = page.getByRole("region", { name: "Risk limits" });
    const paper = risk.getByRole("form", { name: "paper risk limits" });
    await paper.getByLabel(/Max order/).fill("1e2");
    await paper.getByLabel(/Daily loss limit/).fill("500");
    await paper.getByRole("button", { name: "Save limits" }).click();
    // Beside the field, in its own words; what was typed is still there.
    await paper.getByRole("alert").getByText("Max order: a whole number of contracts").waitFor();
    expect(await paper.getByLabel(/Max order/).inputValue()).toBe("1e2");
    expect(await paper.getByLabel(/Daily loss limit/).inputValue()).toBe("500");
    await page.screenshot({ path: join(ARTIFACTS, "risk-refusal-settings.png"), fullPage: false });
    await paper.getByLabel(/Max order/).fill("20");
    await paper.getByLabel(/Confirm orders above/).fill("10");
    await paper.getByRole("button", { name: "Save limits" }).click();
    await risk.getByText("paper: risk limits saved.").waitFor();

    await page.goto(`${app.server.url}/desk?account=paper&symbol=MES`);
    await page.locator("[data-last]").filter({ hasText: /\d/ }).waitFor();
    const ticket = page.getByRole("region", { name: "Order ticket" });
    // Above the confirmation size: asked first; dismissed, nothing is sent.
    await ticket.getByLabel("Quantity").fill("25");
    page.once("dialog", (d) => d.dismiss());
    await ticket.getByRole("button", { name: "Buy" }).click();
    await page.waitForTimeout(300);
    expect(app.server.ctx.engine.engine.position(await paperId(), "MES")).toBeUndefined();
    // Accepted: the engine refuses it against the maximum order, in the trader's words.
    page.once("dialog", (d) => d.accept());
    await ticket.getByRole("button", { name: "Buy" }).click();
    await page
      .getByRole("region", { name: "Order ticket" })
      .getByRole("alert")
      .getByText(/25 MES is above this account's maximum order of 20/)
      .waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "risk-refusal-desk.png"), fullPage: false });
    // The same refusal on a phone: beside the ticket, on the first screen.
    await page.setViewportSize({ width: 390, height: 844 });
    const refusal = page.getByRole("region", { name: "Order ticket" }).getByRole("alert");
    await refusal.scrollIntoViewIfNeeded();
    const r = (await refusal.boundingBox())!;
    expect(r.x + r.width).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(ARTIFACTS, "risk-refusal-phone.png"), fullPage: false });
    await page.setViewportSize({ width: 1440, height: 1000 });

    // The ticket keeps 3 through a buy and a take-profit that leaves the position flat.
    await page.getByRole("region", { name: "Order ticket" }).getByLabel("Quantity").fill("3");
    await page.getByRole("region", { name: "Order ticket" }).getByRole("button", { name: "Buy" }).click();
    await page
      .getByRole("region", { name: "Position" })
      .getByText(/Long 3/i)
      .waitFor();
    await page.getByRole("region", { name: "Order ticket" }).getByRole("button", { name: "Take profit" }).click();
    await page.getByRole("region", { name: "Position" }).getByText(/Flat/).waitFor();
    expect(await page.getByRole("region", { name: "Order ticket" }).getByLabel("Quantity").inputValue()).toBe("3");
    await page.reload();
    expect(await page.getByRole("region", { name: "Order ticket" }).getByLabel("Quantity").inputValue()).toBe("3");

    // Kill switch from the desk: the open position is flattened, new entries are locked.
    await page.getByRole("region", { name: "Order ticket" }).getByRole("button", { name: "Buy" }).click();
    await page
      .getByRole("region", { name: "Position" })
      .getByText(/Long 3/i)
      .waitFor();
    page.once("dialog", (d) => d.accept());
    await page.getByRole("button", { name: "Kill switch" }).click();
    await page
      .getByRole("alert")
      .getByText(/Kill switch: live, paper flattened at market/)
      .waitFor();
    await page.getByRole("region", { name: "Position" }).getByText(/Flat/).waitFor({ timeout: 10_000 });
    await page.getByRole("region", { name: "Order ticket" }).getByRole("button", { name: "Buy" }).click();
    await page
      .getByRole("region", { name: "Order ticket" })
      .getByRole("alert")
      .getByText(/new entries are locked until/)
      .waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "risk-kill-switch-desk.png"), fullPage: false });

    // The positions page: each account's day and its lock.
    await page.goto(`${app.server.url}/`);
    const paperCard = page.getByRole("region", { name: "paper account" });
    await paperCard.getByText(/locked until/).waitFor();
    expect(await paperCard.locator("[data-day-total]").textContent()).toMatch(/^-?\$\d/);
    await page.screenshot({ path: join(ARTIFACTS, "risk-positions-locked.png"), fullPage: false });

    await page.goto(`${app.server.url}/settings`);
    const locked = page.getByRole("form", { name: "paper risk limits" });
    await locked.getByText(/Locked until/).waitFor();
    page.once("dialog", (d) => d.accept());
    await locked.getByRole("button", { name: "Resume trading" }).click();
    await page.getByText("paper: trading resumed.").waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "risk-settings.png"), fullPage: false });
    // The refusals answer 4xx on purpose; nothing else may go wrong in the page.
    expect(errors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
  }, 60_000);
});

async function paperId(): Promise<number> {
  return app.server.ctx.trading.accountId(userId, "paper");
}

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { ARTIFACTS, type E2eApp, e2eSuite, haveChromium, signedIn, watchErrors } from "./e2e-harness";

/**
 * The take-profit table in Chromium: full prices, a unit switch that converts the value, the
 * levels' total against the ticket or the position shown live, six levels saved for the next
 * trade whatever the default quantity; and the positions page's timer counting down.
 */
if (!haveChromium)
  console.warn("!!! SKIPPED: take-profit table browser tests — no Chromium (apt-get install chromium)");

let app: E2eApp;
let browser: Browser;
let userId: number;
const errors: string[] = [];

describe.skipIf(!haveChromium)("the take-profit table in Chromium", () => {
  e2eSuite({ name: "ladder", username: "laddered" }, (s) => ({ app, browser, userId } = s));

  test("unit switch converts, totals follow the ticket, six levels for the next trade, full prices", async () => {
    const page = watchErrors(await (await signedIn(browser, app.server, userId)).newPage(), errors);
    await page.goto(`${app.server.url}/desk?account=paper&symbol=MES`);
    await page.locator("[data-last]").filter({ hasText: /\d/ }).waitFor();
    const ladder = page.getByRole("region", { name: "Take-profit levels" });
    // Flat: six levels for the next trade, saved although the default quantity is 5.
    for (let n = 1; n <= 6; n++) {
      await ladder.getByRole("button", { name: "Add level" }).click();
      await ladder.getByLabel(`TP${n} target`).waitFor();
    }
    await ladder.getByRole("button", { name: "Save levels" }).click();
    await page.waitForTimeout(300);
    expect(await ladder.getByRole("alert").count()).toBe(0);
    expect((await app.server.ctx.settings.symbolDefaults(userId, "MES")).value.ladder).toHaveLength(6);
    // The total against the ticket's quantity, live as the ticket changes.
    const total = ladder.locator("[data-ladder-total]");
    expect(await total.textContent()).toBe("Levels total 6 of 5 (ticket)");
    await page.getByRole("region", { name: "Order ticket" }).getByLabel("Quantity").fill("8");
    expect(await total.textContent()).toBe("Levels total 6 of 8 (ticket)");

    // 24 ticks switched to price: the price 24 ticks (6 points) above the last print.
    await ladder.getByLabel("TP1 target").fill("24");
    await ladder.getByLabel("TP1 unit").selectOption("ticks");
    // The simulated feed keeps printing: the last print is read in the same moment as the switch.
    const { last, price } = await page.evaluate(() => {
      const sel = document.querySelector<HTMLSelectElement>('select[name="unit_0"]')!;
      sel.value = "price";
      sel.dispatchEvent(new Event("change", { bubbles: true }));
      return {
        last: Number(document.querySelector("[data-last]")!.textContent),
        price: Number(document.querySelector<HTMLInputElement>('input[name="value_0"]')!.value),
      };
    });
    expect(Math.abs(price - (last + 6))).toBeLessThanOrEqual(0.5);
    expect((price * 4) % 1).toBe(0);
    // And back to points: 6, give or take what the feed moved meanwhile (measured from the last print).
    await ladder.getByLabel("TP1 unit").selectOption("points");
    expect(Math.abs(Number(await ladder.getByLabel("TP1 target").inputValue()) - 6)).toBeLessThanOrEqual(1);
    // A price target is shown whole, not cut off.
    await ladder.getByLabel("TP1 unit").selectOption("price");
    const box = await ladder
      .getByLabel("TP1 target")
      .evaluate((el: HTMLInputElement) => el.scrollWidth <= el.clientWidth);
    expect(box).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, "desk-ladder-table.png"), fullPage: false });

    // Open a position with a timer: the positions page counts it down.
    await page.getByRole("region", { name: "Order ticket" }).getByLabel("Quantity").fill("2");
    await page.getByRole("region", { name: "Order ticket" }).getByRole("button", { name: "Buy" }).click();
    await page
      .getByRole("region", { name: "Position" })
      .getByText(/Long 2/)
      .waitFor();
    await page.goto(`${app.server.url}/`);
    const clock = page.locator("#positions [data-deadline]").first();
    const first = await clock.textContent();
    await page.waitForTimeout(2200);
    expect(await clock.textContent()).not.toBe(first);
    expect(errors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
  }, 60_000);

  test("an open position's levels keep their numbers: TP1 removed leaves TP2, a new level is TP3", async () => {
    const page = watchErrors(await (await signedIn(browser, app.server, userId)).newPage(), errors);
    await page.goto(`${app.server.url}/desk?account=paper&symbol=MES`);
    const ladder = page.getByRole("region", { name: "Take-profit levels" });
    // The position the test above opened (2 contracts): its ladder was fitted to two levels.
    await ladder.getByLabel("TP2 target").waitFor();
    await ladder.getByRole("button", { name: "Remove TP1" }).click();
    await ladder.getByLabel("TP1 target").waitFor({ state: "detached" });
    expect(await ladder.getByLabel("TP2 target").count()).toBe(1);
    await ladder.getByRole("button", { name: "Add level" }).click();
    await ladder.getByLabel("TP3 target").waitFor();
    expect(await ladder.getByLabel("TP1 target").count()).toBe(0);
    const lines = await page.evaluate(() => JSON.parse(document.getElementById("desk-state")!.dataset.lines!));
    expect(lines.tps.map((t: { n: number }) => t.n).sort()).toEqual([2, 3]);
    await page.getByRole("region", { name: "Order ticket" }).getByRole("button", { name: "Exit all" }).click();
    await page.getByRole("region", { name: "Position" }).getByText("Flat.").waitFor();
    expect(errors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
  }, 60_000);
});

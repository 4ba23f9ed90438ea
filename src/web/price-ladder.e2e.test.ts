import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Locator, Page } from "playwright-core";
import { ARTIFACTS, deskLines, type E2eApp, e2eSuite, haveChromium, signedIn, watchErrors } from "./e2e-harness";

/**
 * The price ladder (DOM) in Chromium: tick rows around the last price that follow it, the best
 * bid and ask sizes and the session's volume in their rows; a click places a limit through the
 * ticket's own form path (and refuses one that would fill at once), a working limit is cancelled
 * from its row, a click in Orders sets the stop, a dragged marker moves it; C centres.
 */
if (!haveChromium) console.warn("!!! SKIPPED: price ladder browser tests — no Chromium (apt-get install chromium)");

let app: E2eApp;
let browser: Browser;
let userId: number;
const errors: string[] = [];

const TICK = 0.25;
const ticks = (p: number) => Math.round(p / TICK);
const at = (t: number) => (t * TICK).toFixed(2);

/** The row of a price (its price cell is the row's header). */
const row = (dom: Locator, t: number) =>
  dom.locator("tbody tr").filter({ has: dom.page().getByRole("rowheader", { name: at(t), exact: true }) });

/** What the ladder shows: its rows' prices (table), the book and the volume (drawn on its canvas). */
async function book(page: Page) {
  return page.evaluate(() => {
    const card = document.querySelector(".dom-card") as HTMLElement & { ladder: any };
    const rows = [...card.querySelectorAll<HTMLTableRowElement>(".dom tbody tr")];
    const at = (t: number | null) => (t === null ? null : t * 0.25);
    const b = card.ladder.book();
    const top = card.ladder.top();
    let volumes = 0;
    for (let i = 0; i < rows.length; i++) if (card.ladder.volume.get(top - i)) volumes++;
    return {
      last: Number(rows.find((r) => r.matches(".last"))?.querySelector("th")?.textContent ?? Number.NaN),
      bid: at(b.bidT),
      ask: at(b.askT),
      bidSize: b.bs,
      rows: rows.length,
      middle: Number(rows[(rows.length - 1) >> 1]!.querySelector("th")!.textContent),
      volumes,
    };
  });
}

describe.skipIf(!haveChromium)("the price ladder in Chromium", () => {
  e2eSuite({ name: "dom", username: "domtrader" }, (s) => ({ app, browser, userId } = s));

  test("rows follow the last price with book and volume; limits, cancel, stop by click and by drag; C centres", async () => {
    const page = watchErrors(await (await signedIn(browser, app.server, userId)).newPage(), errors);
    await page.goto(`${app.server.url}/desk?account=paper&symbol=MES`);
    await page.locator("[data-last]").filter({ hasText: /\d/ }).waitFor();
    const dom = page.getByRole("region", { name: "MES price ladder" });
    // A wide screen shows the chart and the ladder side by side.
    expect(await page.getByRole("button", { name: "Both" }).getAttribute("aria-pressed")).toBe("true");
    await dom.locator("tr.last").waitFor();
    await page.waitForFunction(
      () => (document.querySelector(".dom-card") as HTMLElement & { ladder: any }).ladder.book().bs > 0,
    );
    const b0 = await book(page);
    expect(b0.rows % 2).toBe(1);
    expect(b0.bid).not.toBeNull();
    // The best bid's row says so to a screen reader; its size is drawn.
    await dom.getByRole("button", { name: /^Buy limit [\d.]+, best bid$/ }).waitFor();
    expect(b0.ask! - b0.bid!).toBeGreaterThan(0);
    // The session's volume at price, from the server and the prints since.
    expect(b0.volumes).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, "desk-price-ladder.png") });

    // A sell limit under the bid would fill at once: refused on the page, nothing sent.
    const bid = ticks((await book(page)).bid!);
    await dom.getByRole("button", { name: `Sell limit ${at(bid - 2)}` }).click();
    await dom.getByRole("alert").filter({ hasText: "fills at once" }).waitFor();
    expect(await page.getByRole("list", { name: "Working orders" }).count()).toBe(0);

    // A buy limit 8 ticks under the bid rests; its row shows it; × cancels it (R1.6).
    const ticket = page.getByRole("region", { name: "Order ticket" });
    await ticket.getByLabel("Quantity").fill("2");
    const limit = ticks((await book(page)).bid!) - 8;
    await dom.getByRole("button", { name: `Buy limit ${at(limit)}` }).click();
    await row(dom, limit).getByText("B 2").waitFor();
    const working = page.getByRole("list", { name: "Working orders" });
    await working.getByText(`entry ${at(limit)} — resting`).waitFor();
    await row(dom, limit)
      .getByRole("button", { name: `Cancel buy 2 limit ${at(limit)}` })
      .click();
    await working.waitFor({ state: "detached" });
    expect(await row(dom, limit).getByText("B 2").count()).toBe(0);
    await page
      .getByText(`entry buy 2 limit ${at(limit)} cancelled`)
      .first()
      .waitFor();

    // A position: the stop set by a click in Orders, then dragged two rows down.
    await ticket.getByRole("button", { name: "Buy" }).click();
    await page
      .getByRole("region", { name: "Position" })
      .getByText(/Long 2/)
      .waitFor();
    const entry = ticks((await deskLines(page)).entry);
    await dom.getByRole("button", { name: "Centre" }).click();
    await row(dom, entry).getByText("L 2").waitFor();
    const before = (await deskLines(page)).stop;
    const stopAt = ticks((await book(page)).last!) - 6;
    await dom.getByRole("cell", { name: `Stop at ${at(stopAt)}` }).click();
    await page.waitForFunction(
      (p) => JSON.parse(document.getElementById("desk-state")!.dataset.lines!).stop === p,
      Number(at(stopAt)),
    );
    expect(before === null || before !== Number(at(stopAt))).toBe(true);
    const marker = row(dom, stopAt).getByRole("button", { name: `Stop ${at(stopAt)}: drag to move` });
    const from = (await marker.boundingBox())!;
    const target = (await row(dom, stopAt - 2).boundingBox())!;
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(from.x + from.width / 2, target.y + target.height / 2, { steps: 6 });
    await page.mouse.up();
    await page.waitForFunction(
      (p) => JSON.parse(document.getElementById("desk-state")!.dataset.lines!).stop === p,
      Number(at(stopAt - 2)),
    );
    await row(dom, stopAt - 2)
      .getByRole("button", { name: /^Stop .*drag to move/ })
      .waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "desk-price-ladder-position.png") });

    // Scrolled away the ladder stops following; C centres it on the last price again.
    await dom.locator("table").hover();
    await page.mouse.wheel(0, 600);
    await page.mouse.wheel(0, 600);
    expect(await dom.getByLabel("Follow").isChecked()).toBe(false);
    const scrolled = await book(page);
    expect(Math.abs(ticks(scrolled.middle) - ticks(scrolled.last ?? 0))).toBeGreaterThan(3);
    await page.locator("body").click({ position: { x: 5, y: 5 } });
    await page.keyboard.press("c");
    const centred = await book(page);
    expect(Math.abs(ticks(centred.middle) - ticks(centred.last!))).toBeLessThanOrEqual(1);
    expect(await dom.getByLabel("Follow").isChecked()).toBe(true);

    await page.getByRole("region", { name: "Order ticket" }).getByRole("button", { name: "Exit all" }).click();
    await page.getByRole("region", { name: "Position" }).getByText("Flat.").waitFor();
    expect(errors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
  }, 60_000);

  test("on a phone the ladder replaces the chart, fits the width, and its rows are a finger's height", async () => {
    const page = watchErrors(
      await (await signedIn(browser, app.server, userId, { width: 390, height: 844 })).newPage(),
      errors,
    );
    await page.goto(`${app.server.url}/desk?account=paper&symbol=MES`);
    await page.locator("[data-last]").filter({ hasText: /\d/ }).waitFor();
    // A phone starts with the chart; the switch shows the ladder instead.
    expect(await page.getByRole("button", { name: "Chart", exact: true }).getAttribute("aria-pressed")).toBe("true");
    await page.getByRole("button", { name: "Ladder" }).click();
    const dom = page.getByRole("region", { name: "MES price ladder" });
    await dom.locator("tr.last").waitFor();
    expect(await page.getByRole("region", { name: "MES chart" }).isVisible()).toBe(false);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
    const h = (await dom.locator("tbody tr").first().boundingBox())!.height;
    expect(h).toBeGreaterThanOrEqual(20);
    await dom.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, "desk-price-ladder-phone.png") });
    // Remembered: the next visit opens on the ladder.
    await page.reload();
    expect(await page.getByRole("button", { name: "Ladder" }).getAttribute("aria-pressed")).toBe("true");
    expect(errors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
  }, 60_000);
});

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { ARTIFACTS, type E2eApp, e2eSuite, haveChromium, signedIn, watchErrors } from "./e2e-harness";

/**
 * The desk's chart in Chromium: price labels on the tick grid, the wheel zooms and Reset follows
 * the last bars again, the crosshair reads out time (CT), O/H/L/C and volume, overlays (VWAP,
 * EMA, ATR bands) computed from the bars, a draggable line shows a grab hand under the pointer;
 * and on a phone the position's P&L is on the first screen.
 */
if (!haveChromium) console.warn("!!! SKIPPED: chart browser tests — no Chromium (apt-get install chromium)");

let app: E2eApp;
let browser: Browser;
let userId: number;
const errors: string[] = [];

const span = (page: Page) =>
  page.evaluate(() => {
    const u = (document.querySelector("[data-chart]") as HTMLElement & { uplot: any }).uplot;
    return u.scales.x.max - u.scales.x.min;
  });
const overBox = (page: Page) =>
  page.evaluate(() => {
    const u = (document.querySelector("[data-chart]") as HTMLElement & { uplot: any }).uplot;
    const r = u.over.getBoundingClientRect();
    return { left: r.left, top: r.top, width: r.width, height: r.height };
  });
/** Two wheel notches in at 70 % of the plot's width: the time axis' span before and after. */
async function wheelIn(page: Page) {
  const box = await overBox(page);
  const before = await span(page);
  await page.mouse.move(box.left + box.width * 0.7, box.top + box.height * 0.5);
  await page.mouse.wheel(0, -300);
  await page.mouse.wheel(0, -300);
  await page.waitForTimeout(100);
  return { box, before, after: await span(page) };
}

describe.skipIf(!haveChromium)("the chart in Chromium", () => {
  e2eSuite({ name: "chart", username: "charter" }, (s) => ({ app, browser, userId } = s));

  test("tick-grid axis, wheel zoom and reset, crosshair readout, overlays, a grab hand on the stop line", async () => {
    const page = watchErrors(await (await signedIn(browser, app.server, userId)).newPage(), errors);
    await page.goto(`${app.server.url}/desk?account=paper&symbol=MES`);
    await page.waitForFunction(
      () => (document.querySelector("[data-chart]") as HTMLElement & { uplot?: any })?.uplot?.data[0].length > 50,
    );
    // Every price label is a multiple of MES's tick (0.25).
    const splits = await page.evaluate(
      () => (document.querySelector("[data-chart]") as HTMLElement & { uplot: any }).uplot.axes[1]._splits,
    );
    expect(splits.length).toBeGreaterThan(2);
    for (const v of splits) expect(Math.abs(Math.round(v / 0.25) * 0.25 - v)).toBeLessThan(1e-9);

    // The wheel zooms in around the pointer; Reset goes back to following the last bars.
    const { box, before, after } = await wheelIn(page);
    expect(after).toBeLessThan(before * 0.8);
    const reset = page.getByRole("button", { name: "Reset view" });
    await reset.waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "chart-zoomed-desktop.png"), fullPage: false });
    await reset.click();
    expect(await reset.isVisible()).toBe(false);
    expect(Math.abs((await span(page)) - before)).toBeLessThan(before * 0.1);

    // The crosshair reads out the bar under the pointer.
    await page.mouse.move(box.left + box.width * 0.5, box.top + box.height * 0.4);
    await page.waitForFunction(() =>
      /CT {2}O \d+\.\d\d {2}H \d+\.\d\d {2}L \d+\.\d\d {2}C \d+\.\d\d {2}V \d+/.test(
        document.querySelector("[data-chart-readout]")?.textContent ?? "",
      ),
    );

    // Overlays: computed from the bars, remembered in this browser.
    await page.getByRole("checkbox", { name: "VWAP" }).check();
    await page.getByRole("checkbox", { name: "EMA 20" }).check();
    await page.getByRole("checkbox", { name: "ATR bands" }).check();
    const o = await page.evaluate(() => {
      const ov = (document.querySelector("[data-chart]") as HTMLElement & { overlays: any }).overlays;
      const last = (a: number[]) => a[a.length - 1]!;
      return { vwap: last(ov.vwap), ema: last(ov.ema), upper: last(ov.upper), lower: last(ov.lower) };
    });
    expect(o.vwap).toBeGreaterThan(0);
    expect(o.upper).toBeGreaterThan(o.ema);
    expect(o.lower).toBeLessThan(o.ema);
    expect(await page.evaluate(() => localStorage.getItem("chart-overlays"))).toBe('["vwap","ema","atr"]');

    // With a position, its stop line is draggable: a grab hand under the pointer.
    await page.getByRole("region", { name: "Order ticket" }).getByLabel("Quantity").fill("1");
    await page.getByRole("region", { name: "Order ticket" }).getByRole("button", { name: "Buy" }).click();
    await page.getByRole("region", { name: "Position" }).getByText("Long 1").waitFor();
    await page.waitForFunction(() => JSON.parse(document.getElementById("desk-state")!.dataset.lines!).stop !== null);
    const y = await page.evaluate(() => {
      const u = (document.querySelector("[data-chart]") as HTMLElement & { uplot: any }).uplot;
      const stop = JSON.parse(document.getElementById("desk-state")!.dataset.lines!).stop;
      return u.over.getBoundingClientRect().top + u.valToPos(stop, "y");
    });
    await page.mouse.move(box.left + box.width * 0.3, y);
    await page.waitForFunction(() => document.querySelector("[data-chart] .u-over")!.classList.contains("over-line"));
    await page.screenshot({ path: join(ARTIFACTS, "chart-overlays-desktop.png"), fullPage: false });

    const phone = watchErrors(
      await (await signedIn(browser, app.server, userId, { width: 390, height: 844 })).newPage(),
      errors,
    );
    await phone.goto(`${app.server.url}/desk?account=paper&symbol=MES`);
    await phone.waitForFunction(
      () => (document.querySelector("[data-chart]") as HTMLElement & { uplot?: any })?.uplot?.data[0].length > 50,
    );
    // The first screen of a phone: the price, the open position with its P&L, then the ticket.
    const pnl = await phone.locator("[data-live-money]").boundingBox();
    expect(pnl!.y + pnl!.height).toBeLessThanOrEqual(844);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await phone.screenshot({ path: join(ARTIFACTS, "chart-phone.png"), fullPage: false });

    // A finger drags the stop a tick per 12 px (not per pixel), from a little off the line.
    await phone.locator("[data-chart]").scrollIntoViewIfNeeded();
    const touch = await phone.evaluate(() => {
      const u = (document.querySelector("[data-chart]") as HTMLElement & { uplot: any }).uplot;
      const stop = JSON.parse(document.getElementById("desk-state")!.dataset.lines!).stop;
      const r = u.over.getBoundingClientRect();
      const y = r.top + u.valToPos(stop, "y") + 12;
      const pxPerTick = Math.abs(u.valToPos(stop, "y") - u.valToPos(stop + 0.25, "y"));
      const fire = (type: string, clientY: number) =>
        u.over.dispatchEvent(
          new PointerEvent(type, { pointerType: "touch", pointerId: 7, clientX: r.left + 60, clientY, bubbles: true }),
        );
      fire("pointerdown", y);
      for (let dy = 6; dy <= 36; dy += 6) fire("pointermove", y + dy);
      fire("pointerup", y + 36);
      return { stop, pxPerTick };
    });
    expect(touch.pxPerTick).toBeLessThan(12);
    await phone.waitForFunction(
      (want) => JSON.parse(document.getElementById("desk-state")!.dataset.lines!).stop === want,
      touch.stop - 0.75,
    );
    // Zoomed on the phone too: the wheel (a trackpad's pinch) narrows the time axis, Reset shows.
    const zoomed = await wheelIn(phone);
    expect(zoomed.after).toBeLessThan(zoomed.before * 0.8);
    await phone.getByRole("button", { name: "Reset view" }).waitFor();
    await phone.locator(".chart-card").scrollIntoViewIfNeeded();
    await phone.screenshot({ path: join(ARTIFACTS, "chart-zoomed-phone.png"), fullPage: false });
    expect(errors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
  }, 60_000);
});

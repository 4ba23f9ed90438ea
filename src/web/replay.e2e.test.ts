import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { ARTIFACTS, deskLines, type E2eApp, e2eSuite, haveChromium, signedIn, watchErrors } from "./e2e-harness";
import { until } from "../shared/testing";

/** Replay in Chromium: from the archive, trade with a TP ladder, a TP fill at 60×, pause, seek, the end and its summary. */
if (!haveChromium) console.warn("!!! SKIPPED: replay browser test — no Chromium (apt-get install chromium)");

let app: E2eApp;
let browser: Browser;
let userId: number;
const errors: string[] = [];

describe.skipIf(!haveChromium)("replay in Chromium", () => {
  e2eSuite({ name: "replay", username: "practice" }, (s) => ({ app, browser, userId } = s));
  beforeAll(async () => {
    // The simulated market's past is backfilled into the archive at start-up.
    await until(
      () => app.server.ctx.archive.status().symbols.find((s) => s.symbol === "MES")?.phase === "done",
      30_000,
      100,
    );
  }, 60_000);

  test("start from the archive, trade with a ladder, a TP fills at 60×, pause, seek, finish, see the summary", async () => {
    const page = watchErrors(await (await signedIn(browser, app.server, userId)).newPage(), errors);
    await page.goto(`${app.server.url}/replay`);
    await page
      .getByRole("status")
      .getByText(/REPLAY/)
      .first()
      .waitFor();
    const archive = page.getByRole("region", { name: "Replay the archive" });
    await archive.getByLabel("Symbols to replay").selectOption(["MES"]);
    await archive.getByText(/Exchange time: /).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "replay-desktop.png"), fullPage: true });
    await archive.getByRole("button", { name: "Start replay" }).click();

    // The desk in replay mode: the banner, the player, the replay's own account.
    await page.waitForURL(/\/desk\?account=replay-\d+/);
    await page
      .getByRole("status")
      .getByText(/^REPLAY replay-\d+ — archive 1-minute bars MES/)
      .waitFor();
    const player = page.getByRole("region", { name: "Replay player" });
    await player.getByRole("button", { name: "Step minute" }).click();
    await page.waitForFunction(() => document.querySelector("[data-last]")?.textContent !== "—");

    // Buy 2 with a wide stop and a one-contract TP two ticks away.
    await page.getByLabel("Quantity", { exact: true }).fill("2");
    await page.getByRole("button", { name: "Buy", exact: true }).click();
    const position = page.getByRole("region", { name: "Position" });
    await position.getByText("Long 2").waitFor({ timeout: 5000 });
    const stop = page.getByRole("region", { name: "Stop" });
    await stop.getByLabel("Amount").fill("40");
    await stop.getByRole("button", { name: "Set stop" }).click();
    await page.waitForFunction(() => {
      const l = JSON.parse(document.getElementById("desk-state")!.dataset.lines!);
      return l.stop !== null && l.entry - l.stop === 40;
    });
    const ladder = page.getByRole("region", { name: "Take-profit levels" });
    await ladder.getByRole("button", { name: "Add level" }).click();
    await ladder.getByLabel("TP1 target").fill("2");
    await ladder.getByRole("button", { name: "Save levels" }).click();
    await page.waitForFunction(
      () => JSON.parse(document.getElementById("desk-state")!.dataset.lines!).tps.length === 1,
    );

    // Play at 60×: the replay's prints reach the TP; the table, the chart and the log show it.
    await player.getByLabel("Speed").selectOption("60");
    await page
      .getByRole("region", { name: "Replay player" })
      .getByRole("button", { name: "Play", exact: true })
      .click();
    await ladder.getByText(/✓ \d/).waitFor({ timeout: 20_000 });
    expect((await deskLines(page)).tps[0].status).toBe("filled");
    // The chart spans the replay's own time (its archive before it), never the wall clock's;
    // the price ladder follows the replay's price.
    const span = await page.evaluate(() => {
      const u = (document.querySelector("[data-chart]") as HTMLElement & { uplot: any }).uplot;
      const seek = document.querySelector<HTMLInputElement>("[data-replay-seek]")!;
      return { min: u.scales.x.min * 1000, max: u.scales.x.max * 1000, from: Number(seek.min), to: Number(seek.max) };
    });
    expect(span.max).toBeLessThanOrEqual(span.to + 10 * 60_000);
    expect(span.min).toBeGreaterThanOrEqual(span.from - 3 * 86_400_000);
    await page.waitForFunction(
      () =>
        document.querySelector(".dom tr.last th")?.textContent === document.querySelector("[data-last]")?.textContent,
    );
    await page
      .getByRole("region", { name: "Trade log" })
      .getByText(/TP1 filled 1 @/)
      .waitFor();
    await page
      .getByRole("region", { name: "Replay player" })
      .getByRole("button", { name: "Pause", exact: true })
      .click();
    await page
      .getByRole("region", { name: "Replay player" })
      .getByRole("button", { name: "Play", exact: true })
      .waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "replay-desk-desktop.png"), fullPage: true });

    // Paused means paused: the replay clock stands still.
    const clock = await page.locator("[data-replay-clock]").textContent();
    await page.waitForTimeout(500);
    expect(await page.locator("[data-replay-clock]").textContent()).toBe(clock);

    // Seek forward ten minutes with the trade open: every print on the way reaches the engine.
    const before = await page.locator("[data-replay-seek]").evaluate((el: HTMLInputElement) => Number(el.value));
    await page.locator("[data-replay-seek]").evaluate(
      (el: HTMLInputElement, to) => {
        el.value = String(to);
        el.dispatchEvent(new Event("change", { bubbles: true }));
      },
      before + 10 * 60_000,
    );
    await page.waitForFunction(
      (b) => Number((document.querySelector("[data-replay-seek]") as HTMLInputElement).value) >= b + 9 * 60_000,
      before,
    );

    // To the end as fast as possible: what is open is closed, the summary appears and goes to the journal.
    await page.getByRole("region", { name: "Replay player" }).getByLabel("Speed").selectOption("max");
    await page
      .getByRole("region", { name: "Replay player" })
      .getByRole("button", { name: "Play", exact: true })
      .click();
    const summary = page.getByRole("region", { name: "Replay summary" });
    await summary.waitFor({ timeout: 30_000 }).catch(async (err) => {
      console.log(
        app.logs.lines
          .filter((l) => String(l.event).startsWith("replay") || l.level === "error")
          .map((l) => JSON.stringify(l))
          .join("\n"),
      );
      console.log(await page.locator("#player").evaluate((el) => el.outerHTML));
      throw err;
    });
    expect(await summary.textContent()).toMatch(/Trades\s*1/);
    expect(await summary.textContent()).toContain("take profit 1");
    await page.screenshot({ path: join(ARTIFACTS, "replay-summary-desktop.png"), fullPage: true });

    // Live trading never saw any of it.
    expect(app.server.ctx.engine.engine.allPositions().filter((p) => p.qty > 0)).toEqual([]);
    await page.goto(`${app.server.url}/journal?tag=replay`);
    await page.getByRole("region", { name: "Closed trades" }).getByRole("cell", { name: "MES" }).waitFor();
    await page.goto(`${app.server.url}/journal`);
    await page.getByText("No closed trades for this filter yet.").waitFor();

    const phone = watchErrors(
      await (await signedIn(browser, app.server, userId, { width: 390, height: 844 })).newPage(),
      errors,
    );
    await phone.goto(`${app.server.url}/replay`);
    await phone.screenshot({ path: join(ARTIFACTS, "replay-phone.png"), fullPage: true });
    expect(errors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
  }, 90_000);
});

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { ARTIFACTS, type E2eApp, e2eSuite, haveChromium, printOnFeed, signedIn, watchErrors } from "./e2e-harness";

/**
 * Alerts in Chromium: a price alert added on Settings (refused in words first, what was typed
 * kept), fired by a print on the feed — a note on whatever page is open, a tone, a browser
 * notification once allowed — a fill on the desk heard the same way, and the alert log.
 */
if (!haveChromium) console.warn("!!! SKIPPED: alert browser tests — no Chromium (apt-get install chromium)");

let app: E2eApp;
let browser: Browser;
let userId: number;
const errors: string[] = [];

describe.skipIf(!haveChromium)("alerts in Chromium", () => {
  e2eSuite({ name: "alerts", username: "listener" }, (s) => ({ app, browser, userId } = s));

  test("a price alert from Settings fires on the desk; a fill is heard; the log lists both", async () => {
    const context = await signedIn(browser, app.server, userId);
    await context.grantPermissions(["notifications"], { origin: app.server.url });
    const page = watchErrors(await context.newPage(), errors);
    // Notifications as the page made them (headless Chromium shows none on screen).
    await page.addInitScript(() => {
      const shown: string[] = [];
      (window as any).__shown = shown;
      (window as any).Notification = class {
        static permission = "granted";
        static requestPermission = async () => "granted";
        constructor(title: string, o: { body: string }) {
          shown.push(`${title}: ${o.body}`);
        }
      };
    });
    await page.goto(`${app.server.url}/settings`);
    const alerts = page.getByRole("region", { name: "Alerts" });
    const form = alerts.getByRole("form", { name: "New price alert" });
    await form.getByLabel("Symbol").fill("MES");
    await form.getByLabel("Price", { exact: true }).fill("six thousand");
    await form.getByRole("button", { name: "Add alert" }).click();
    await alerts.getByRole("alert").getByText("Price: a number such as 3 or 2.5").waitFor();
    expect(
      await alerts.getByRole("form", { name: "New price alert" }).getByLabel("Price", { exact: true }).inputValue(),
    ).toBe("six thousand");
    await alerts.getByRole("form", { name: "New price alert" }).getByLabel("Price", { exact: true }).fill("7000");
    await alerts.getByRole("button", { name: "Add alert" }).click();
    await alerts.getByText("Alert added: MES at or above 7000.00.").waitFor();
    await alerts.getByRole("button", { name: "Turn on browser notifications" }).click();
    await alerts.getByRole("button", { name: "Browser notifications: on (turn off)" }).waitFor();

    await page.goto(`${app.server.url}/desk?account=paper&symbol=MES`);
    await page.locator("[data-last]").filter({ hasText: /\d/ }).waitFor();
    printOnFeed(app, "MES", 7000.25);
    const notes = page.getByRole("log", { name: "Alerts" });
    await notes.getByText("Price alert: MES at or above 7000.00 (print 7000.25)").waitFor();
    // Back under the simulated price: a buy fills, and is heard as well.
    printOnFeed(app, "MES", 6000);
    await page.getByRole("region", { name: "Order ticket" }).getByLabel("Quantity").fill("1");
    await page.getByRole("region", { name: "Order ticket" }).getByRole("button", { name: "Buy" }).click();
    await notes.getByText(/paper MES: opened long 1 @/).waitFor();
    expect(await page.evaluate(() => (window as any).__shown)).toEqual([
      "Price alert: MES at or above 7000.00 (print 7000.25)",
      expect.stringMatching(/^paper MES: opened long 1 @/),
    ]);
    await page.screenshot({ path: join(ARTIFACTS, "alert-desk.png"), fullPage: false });
    // On a phone the notes fit the screen's width.
    await page.setViewportSize({ width: 390, height: 844 });
    const note = (await notes.getByText(/paper MES: opened long 1 @/).boundingBox())!;
    expect(note.x + note.width).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(ARTIFACTS, "alert-phone.png"), fullPage: false });
    await page.setViewportSize({ width: 1440, height: 1000 });

    await page.goto(`${app.server.url}/settings`);
    const log = page.getByRole("list", { name: "Alert log" });
    await log.getByText(/MES at or above 7000.00 \(print 7000.25\)/).waitFor();
    await log.getByText(/opened long 1 @/).waitFor();
    await page.getByRole("region", { name: "Alerts" }).screenshot({ path: join(ARTIFACTS, "alert-settings.png") });
    expect(errors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
  }, 60_000);
});

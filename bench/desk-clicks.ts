// Round trips per desk click in real Chromium: the requests one click costs (the action's POST,
// any state refresh GET and stop preview that follow) and the position messages pushed over the
// WebSocket meanwhile, on the simulated feed. Each click waits for its answer, then 1.5 s for anything that follows.
//   bun bench/desk-clicks.ts
import type { Page } from "playwright-core";
import { CHROMIUM, e2eServer, haveChromium, launchBrowser, signedIn } from "../src/web/e2e-harness";

if (!haveChromium) {
  console.error(`desk-clicks: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  process.exit(1);
}
const app = await e2eServer("deskclicks");
const user = await app.server.ctx.users.create("clicker", "a long enough password", {
  kind: "cli",
  label: "bench",
  userId: null,
});
const browser = await launchBrowser();
const page = await (await signedIn(browser, app.server, user.id)).newPage();
const seen: string[] = [];
page.on("request", (r) => {
  const u = new URL(r.url());
  if (u.pathname.startsWith("/desk")) seen.push(`${r.method()} ${u.pathname}`);
});
let positionMessages = 0;
page.on("websocket", (ws) =>
  ws.on("framereceived", (f) => {
    if (typeof f.payload === "string" && f.payload.startsWith('{"t":"position"')) positionMessages++;
  }),
);
await page.goto(`${app.server.url}/desk?account=paper&symbol=MES`);
await page.waitForFunction(() => document.querySelector("[data-last]")?.textContent !== "—", undefined, {
  timeout: 10_000,
});
await page.waitForTimeout(1000);

async function click(label: string, act: (p: Page) => Promise<unknown>) {
  seen.length = 0;
  positionMessages = 0;
  await act(page);
  await page.waitForTimeout(1500);
  const gets = seen.filter((s) => s.startsWith("GET /desk/state")).length;
  const previews = seen.filter((s) => s === "POST /desk/stop/preview").length;
  const posts = seen.filter((s) => s.startsWith("POST")).length - previews;
  console.log([label, posts, gets, previews, posts + gets + previews, positionMessages].join("\t"));
}

// Requests = round trips the click costs; the position messages are pushed (other desks need them).
console.log(["click", "POSTs", "refresh GETs", "stop previews", "requests", "position messages"].join("\t"));
await click("Buy 2", async (p) => {
  await p.getByLabel("Quantity", { exact: true }).fill("2");
  await p.getByRole("button", { name: "Buy", exact: true }).click();
  await p.getByRole("region", { name: "Position" }).getByText("Long 2").waitFor();
});
await click("Set stop", async (p) => {
  const stop = p.getByRole("region", { name: "Stop" });
  await stop.getByLabel("Amount").fill("40");
  await stop.getByRole("button", { name: "Set stop" }).click();
});
await click("Add level", (p) =>
  p.getByRole("region", { name: "Take-profit levels" }).getByRole("button", { name: "Add level" }).click(),
);
await click("Exit all", async (p) => {
  await p.getByRole("button", { name: "Exit all" }).click();
  await p.getByRole("region", { name: "Position" }).getByText(/Flat/).waitFor();
});
await browser.close();
await app.close();

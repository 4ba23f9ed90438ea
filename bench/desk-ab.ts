// The desk's browser CPU, this checkout against another one (a worktree of an earlier commit),
// measured in turns so both see the same machine: both servers run in this process (embedded
// PGlite, simulated feed), one headless Chromium; each turn opens a fresh desk on MES with an
// open position, lets it settle, then reads the renderer's main-thread busy time (CDP
// Performance.getMetrics TaskDuration) and the CPU of every Chromium process over --seconds.
//   git worktree add /tmp/before <commit> && ln -s "$PWD/node_modules" /tmp/before/node_modules
//   bun bench/desk-ab.ts --against /tmp/before [--rounds 5] [--seconds 15]
// This checkout's desk is measured twice per round: as it opens by default on a wide screen
// (chart and price ladder, no overlays) and with everything on (ladder and all three overlays);
// the other checkout's desk as it opens.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Browser } from "playwright-core";
import { CHROMIUM, e2eServer, haveChromium, launchBrowser, signedIn } from "../src/web/e2e-harness";
import { chromiumCpuSeconds, DESK, FULL_DESK, median, SETTLE_MS, sleep, withStorage } from "./desk-perf/probes";

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const against = arg("against");
const ROUNDS = Number(arg("rounds") ?? 5);
const SECONDS = Number(arg("seconds") ?? 15);
if (!haveChromium) throw new Error(`no Chromium at ${CHROMIUM}`);
if (!against || !existsSync(join(against, "src/web/e2e-harness.ts")))
  throw new Error("--against: a checkout of this project (with node_modules) to compare with");

type Server = Awaited<ReturnType<typeof e2eServer>>;
const other = (await import(resolve(against, "src/web/e2e-harness.ts"))) as { e2eServer: typeof e2eServer };

/** A server with a user, a token and an open MES position (the desk then draws its lines). */
async function start(make: typeof e2eServer, name: string) {
  const app: Server = await make(name);
  const ctx = app.server.ctx;
  const actor = { kind: "cli", label: "bench", userId: null } as const;
  const userId = (await ctx.users.create("bench", "a long enough password", actor)).id;
  const { token } = await ctx.tokens.create(userId, "bench", actor);
  for (let i = 0; i < 250 && !ctx.engine.engine.lastPrice("MES"); i++) await sleep(20);
  const res = await fetch(`${app.server.url}/api/v1/accounts/paper/positions/MES/orders`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ side: "buy", qty: 1 }),
  });
  if (res.status !== 200) throw new Error(`${name}: order ${res.status}`);
  return { app, userId };
}

async function window(browser: Browser, s: { app: Server; userId: number }, storage: Record<string, string>) {
  const context = await withStorage(await signedIn(browser, s.app.server, s.userId), storage);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Performance.enable");
  await page.goto(s.app.server.url + DESK, { waitUntil: "load" });
  await page.waitForFunction(() => document.querySelector("[data-last]")?.textContent !== "—", undefined, {
    timeout: 10_000,
  });
  await sleep(SETTLE_MS);
  const task = async () =>
    (await cdp.send("Performance.getMetrics")).metrics.find((m) => m.name === "TaskDuration")?.value ?? 0;
  const t0 = await task();
  const c0 = chromiumCpuSeconds();
  const w0 = performance.now();
  await sleep(SECONDS * 1000);
  const wall = (performance.now() - w0) / 1000;
  const main = ((await task()) - t0) / wall;
  const all = (chromiumCpuSeconds() - c0) / wall;
  await context.close();
  return { main: main * 100, all: all * 100 };
}

const before = await start(other.e2eServer, "ab-before");
const now = await start(e2eServer, "ab-now");
const browser = await launchBrowser();
const runs: Record<string, { main: number; all: number }[]> = { before: [], now: [], "now, all on": [] };
try {
  console.log(`desk-ab: ${against} against this checkout, ${ROUNDS} rounds of ${SECONDS} s windows, in turns`);
  console.log(`command: bun bench/desk-ab.ts --against ${against} --rounds ${ROUNDS} --seconds ${SECONDS}`);
  for (let r = 0; r < ROUNDS; r++) {
    runs.before!.push(await window(browser, before, {}));
    runs.now!.push(await window(browser, now, {}));
    runs["now, all on"]!.push(await window(browser, now, FULL_DESK));
    const last = Object.entries(runs).map(([k, v]) => `${k} ${v.at(-1)!.main.toFixed(1)} %`);
    console.log(`  round ${r + 1}: main thread ${last.join(", ")}`);
  }
  const base = median(runs.before!.map((x) => x.main));
  const baseAll = median(runs.before!.map((x) => x.all));
  console.log("\n  desk                 main thread % (median)   vs before   all Chromium % (median)   vs before");
  for (const [k, v] of Object.entries(runs)) {
    const m = median(v.map((x) => x.main));
    const a = median(v.map((x) => x.all));
    const rel = (x: number, b: number) => `${x >= b ? "+" : ""}${(((x - b) / b) * 100).toFixed(0)} %`;
    console.log(
      `  ${k.padEnd(20)} ${m.toFixed(1).padStart(10)}               ${rel(m, base).padStart(6)}   ${a.toFixed(1).padStart(10)}                ${rel(a, baseAll).padStart(6)}`,
    );
  }
} finally {
  await browser.close();
  await before.app.close();
  await now.app.close();
}

// Part 3 of desk-perf: browser CPU while 10 symbols stream, on the Positions page and the desk.
import type { Page } from "playwright-core";
import { signedIn } from "../../src/web/e2e-harness";
import type { Env } from "./env";
import { chromiumCpuSeconds, DESK, FULL_DESK, kb, pad, SETTLE_MS, sleep, STREAMED, withStorage } from "./probes";

/** Opens one paper position per streamed symbol, measures; answers the API headers it used. */
export async function measureStreaming(env: Env): Promise<Record<string, string>> {
  const { app, browser, ctx, base, userId, SECONDS } = env;
  /* ----- 3: CPU while 10 symbols stream ----- */
  const { token } = await ctx.tokens.create(userId, "bench", { kind: "cli", label: "bench", userId: null });
  const h = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  for (const s of STREAMED) {
    for (let i = 0; i < 250 && !ctx.engine.engine.lastPrice(s); i++) await sleep(20);
    const res = await fetch(`${base}/api/v1/accounts/paper/positions/${s}/orders`, {
      method: "POST",
      headers: h,
      body: JSON.stringify({ side: "buy", qty: 1 }),
    });
    if (res.status !== 200) throw new Error(`order ${s}: ${res.status} ${await res.text()}`);
  }
  const open = () => ctx.engine.engine.allPositions().filter((p) => p.qty > 0).length;
  for (let i = 0; i < 100 && open() < STREAMED.length; i++) await sleep(20);

  // The feed as the server sees it: prints and quotes of the 10 symbols on the bus.
  const md = ctx.marketData;
  const wanted = new Set(STREAMED);
  const bus = { trades: 0, quotes: 0 };
  const unsubscribe = md.bus.subscribe({
    trade: (t) => {
      if (wanted.has(md.rootOf(t.instrumentId) ?? "")) bus.trades++;
    },
    quote: (q) => {
      if (wanted.has(md.rootOf(q.instrumentId) ?? "")) bus.quotes++;
    },
  });

  interface Window {
    label: string;
    seconds: number;
    frames: number;
    wsBytes: number;
    byType: Record<string, number>;
    task: number;
    script: number;
    layout: number;
    style: number;
    process: number;
    thread: number;
    layouts: number;
    styles: number;
    allChromium: number;
    busTrades: number;
    busQuotes: number;
    shown: string;
    open: number;
  }
  async function streamWindow(
    label: string,
    path: string,
    ready: (p: Page) => Promise<string>,
    /** This browser's desk choices (chart or ladder, overlays), as localStorage holds them. */
    storage: Record<string, string> = {},
  ): Promise<Window> {
    const context = await withStorage(await signedIn(browser, app.server, userId), storage);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    let counting = false;
    let frames = 0;
    let wsBytes = 0;
    const byType: Record<string, number> = {};
    cdp.on("Network.webSocketFrameReceived", (e) => {
      if (!counting) return;
      frames++;
      wsBytes += e.response.payloadData.length;
      let t = "?";
      try {
        t = String((JSON.parse(e.response.payloadData) as { t?: string }).t ?? "?");
      } catch {
        // not JSON
      }
      byType[t] = (byType[t] ?? 0) + 1;
    });
    await cdp.send("Network.enable");
    await cdp.send("Performance.enable");
    await page.goto(base + path, { waitUntil: "load" });
    const shown = await ready(page);
    await sleep(SETTLE_MS);
    const metrics = async () =>
      Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]));
    const b0 = { ...bus };
    const c0 = chromiumCpuSeconds();
    const m0 = await metrics();
    const w0 = performance.now();
    counting = true;
    await sleep(SECONDS * 1000);
    counting = false;
    const m1 = await metrics();
    const wall = (performance.now() - w0) / 1000;
    const c1 = chromiumCpuSeconds();
    const d = (k: string) => (m1[k] ?? 0) - (m0[k] ?? 0);
    const w: Window = {
      label,
      seconds: wall,
      frames,
      wsBytes,
      byType,
      task: d("TaskDuration"),
      script: d("ScriptDuration"),
      layout: d("LayoutDuration"),
      style: d("RecalcStyleDuration"),
      process: d("ProcessTime"),
      thread: d("ThreadTime"),
      layouts: d("LayoutCount"),
      styles: d("RecalcStyleCount"),
      allChromium: c1 - c0,
      busTrades: bus.trades - b0.trades,
      busQuotes: bus.quotes - b0.quotes,
      shown,
      open: open(),
    };
    await context.close();
    return w;
  }

  const windows: Window[] = [];
  windows.push(
    await streamWindow("Positions (/)", "/", async (p) => {
      await p
        .waitForFunction(
          (n) => {
            const rows = document.querySelectorAll("#positions tr[data-symbol]");
            return rows.length >= n && [...rows].every((r) => r.querySelector("[data-last]")?.textContent !== "—");
          },
          STREAMED.length,
          { timeout: 10_000 },
        )
        .catch(() => undefined);
      return `${await p.locator("#positions tr[data-symbol]").count()} position rows shown`;
    }),
  );
  const deskReady = async (p: Page) => {
    await p
      .waitForFunction(() => document.querySelector("[data-last]")?.textContent !== "—", undefined, {
        timeout: 10_000,
      })
      .catch(() => undefined);
    return `last price ${await p.locator("[data-last]").first().textContent()}`;
  };
  // The desk as before the price ladder (the chart alone, no overlays), then with all of it on.
  windows.push(await streamWindow("Desk (MES) chart", DESK, deskReady, { "market-view": "chart" }));
  windows.push(await streamWindow("Desk +ladder+ovl", DESK, deskReady, FULL_DESK));
  unsubscribe();

  console.log(
    `\n3. Browser CPU while ${STREAMED.length} symbols stream (${STREAMED.join(" ")}; one paper position each, opened through the JSON API)`,
  );
  console.log(
    `  each page alone in a fresh context, ${SECONDS} s measured after load + ${SETTLE_MS / 1000} s to settle; % = of one core`,
  );
  const W3 = [16, 10, 9, 8, 11, 10, 10, 9, 11, 11, 11];
  console.log(
    "  " +
      pad(
        [
          "page",
          "ws msg/s",
          "ws KB/s",
          "main %",
          "main cpu %",
          "script %",
          "layout %",
          "style %",
          "renderer %",
          "chromium %",
          "layouts/s",
        ],
        W3,
      ),
  );
  for (const w of windows) {
    const pct = (s: number) => ((s / w.seconds) * 100).toFixed(1);
    console.log(
      "  " +
        pad(
          [
            w.label,
            (w.frames / w.seconds).toFixed(1),
            kb(w.wsBytes / w.seconds),
            pct(w.task),
            pct(w.thread),
            pct(w.script),
            pct(w.layout),
            pct(w.style),
            pct(w.process),
            pct(w.allChromium),
            (w.layouts / w.seconds).toFixed(1),
          ],
          W3,
        ),
    );
  }
  for (const w of windows) {
    const types = Object.entries(w.byType)
      .sort((a, b) => b[1] - a[1])
      .map(([t, n]) => `${t} ${(n / w.seconds).toFixed(1)}/s`)
      .join(", ");
    console.log(
      `  ${w.label}: ${w.shown}, ${w.open} positions open at the end; ws messages by type: ${types || "none"}; ` +
        `feed on the server's bus for the ${STREAMED.length} symbols: ${(w.busTrades / w.seconds).toFixed(1)} trades/s, ${(w.busQuotes / w.seconds).toFixed(1)} quotes/s`,
    );
  }
  console.log(`  main % = Δ TaskDuration (wall time the page's main thread spent in tasks) / wall time; main cpu % = Δ ThreadTime (its CPU
  time: lower when the ${navigator.hardwareConcurrency} cores are contended); script/layout/style = Δ Script/Layout/RecalcStyleDuration (parts of main %);
  renderer % = Δ ProcessTime (CPU of the page's renderer process, all its threads); chromium % = CPU (utime+stime, /proc) of
  every Chromium process (browser, renderer, GPU/software compositing, network); CDP's Network domain is on during the window.
  Feed: the simulated gateway steps every 50 ms over all catalogue symbols (a quote per symbol per step, trades at ~3/s per
  mini and ~6/s per micro scaled by volatility); not configurable (only SIM_SEED), so the rate above is the one measured.`);

  return h;
}

// Part 4 of desk-perf: live sync — a change made elsewhere, seen by two other open desks.
import { signedIn } from "../../src/web/e2e-harness";
import type { Env } from "./env";
import { DESK, FULL_DESK, median, quantile, sleep, withStorage } from "./probes";

export async function measureSync(env: Env, h: Record<string, string>): Promise<void> {
  const { app, browser, ctx, base, userId, RUNS } = env;
  /* ----- 4: live sync: a change made elsewhere, seen by another open desk ----- */
  // Two desks of the user on MES (an open paper position); the stop is moved through the JSON
  // API (as another browser, a script or a rule would); each desk records the moment (epoch ms,
  // same clock as this process) its state shows the new stop. One change at a time, --runs × 2.
  const sync = await Promise.all(
    [0, 1].map(async () => {
      // The desks with the price ladder and the overlays on: what they cost must not slow the sync.
      const page = await (await withStorage(await signedIn(browser, app.server, userId), FULL_DESK)).newPage();
      await page.goto(base + DESK, { waitUntil: "load" });
      await page.waitForFunction(
        () => JSON.parse(document.getElementById("desk-state")!.dataset.lines!).entry !== null,
        undefined,
        { timeout: 10_000 },
      );
      await page.evaluate(() => {
        const w = window as unknown as { seen: Record<string, number> };
        w.seen = {};
        new MutationObserver(() => {
          const stop = JSON.parse(document.getElementById("desk-state")!.dataset.lines!).stop;
          if (stop !== null && !(stop in w.seen)) w.seen[stop] = performance.timeOrigin + performance.now();
        }).observe(document.body, {
          subtree: true,
          childList: true,
          attributes: true,
          attributeFilter: ["data-lines"],
        });
      });
      return page;
    }),
  );
  const latencies: number[] = [];
  const entry = ctx.trading.view(await ctx.trading.accountId(userId, "paper"), "MES")!.avgEntry!;
  for (let i = 0; i < RUNS * 2; i++) {
    const price = entry - 50 - i * 0.25;
    const t0 = performance.timeOrigin + performance.now();
    const res = await fetch(`${base}/api/v1/accounts/paper/positions/MES/stop`, {
      method: "PUT",
      headers: h,
      body: JSON.stringify({ stop: { kind: "fixed", initial: { unit: "price", value: price } } }),
    });
    if (res.status !== 200) throw new Error(`stop: ${res.status} ${await res.text()}`);
    for (const page of sync) {
      const seen = await page
        .waitForFunction((p) => (window as unknown as { seen: Record<string, number> }).seen[p], price, {
          timeout: 5000,
        })
        .then((j) => j.jsonValue() as Promise<number>);
      latencies.push(seen - t0);
    }
    await sleep(100);
  }
  console.log(
    `\n4. Live sync: a stop moved through the JSON API, shown by two other open desks (${latencies.length} observations)`,
  );
  console.log(
    `  request sent → the desk's state shows it: median ${median(latencies).toFixed(1)} ms, p95 ${quantile(latencies, 0.95).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms (target ≤ 100 ms)`,
  );
  console.log(
    "  (includes the API call and its transaction, the WebSocket message, the desk's GET /desk/state and the swap)",
  );
}

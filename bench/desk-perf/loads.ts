// Parts 1 and 2 of desk-perf: time to interactive and bytes of a desk load, cold and warm cache.
import { gzipSync } from "node:zlib";
import { signedIn } from "../../src/web/e2e-harness";
import type { Env } from "./env";
import { CHART_PROBE, DESK, kb, type Load, loadDesk, median, pad, quantile, type Req } from "./probes";

export async function measureLoads(env: Env): Promise<void> {
  const { app, browser, base, userId, RUNS } = env;
  /* ----- 1 + 2: desk loads ----- */
  const cold: Load[] = [];
  for (let i = 0; i < RUNS; i++) {
    const context = await signedIn(browser, app.server, userId);
    await context.addInitScript(CHART_PROBE);
    const l = await loadDesk(context, base);
    if (i === 0) {
      // Bodies of the first cold load, for the gzip estimate.
      for (const [id, r] of l.reqs) {
        if (r.type === "WebSocket" || !r.done) continue;
        try {
          const b = await l.cdp.send("Network.getResponseBody", { requestId: id });
          const bytes = b.base64Encoded ? Buffer.from(b.body, "base64") : Buffer.from(b.body, "utf8");
          (r as Req & { gzip?: number; raw?: number }).gzip = gzipSync(bytes).length;
          (r as Req & { gzip?: number; raw?: number }).raw = bytes.length;
        } catch {
          // body not kept
        }
      }
    }
    cold.push(l);
    await context.close();
  }
  const warm: Load[] = [];
  {
    const context = await signedIn(browser, app.server, userId);
    await context.addInitScript(CHART_PROBE);
    await (await loadDesk(context, base)).page.close(); // primes the cache
    for (let i = 0; i < RUNS; i++) {
      const l = await loadDesk(context, base);
      warm.push(l);
      await l.page.close();
    }
    await context.close();
  }

  console.log(`\n1. Time to interactive of ${DESK} — ms from navigation start, ${RUNS} loads each`);
  const W1 = [18, 16, 19, 13, 14];
  console.log(pad(["", "domInteractive", "DOMContentLoaded", "load", "chart drawn"], W1));
  for (const [name, loads] of [
    ["cold", cold],
    ["warm", warm],
  ] as const) {
    for (const [stat, f] of [
      ["median", median],
      ["p95", (x: number[]) => quantile(x, 0.95)],
    ] as const) {
      const col = (k: "domInteractive" | "dcl" | "load" | "chart") => f(loads.map((l) => l[k])).toFixed(1);
      console.log(pad([`${name} cache ${stat}`, col("domInteractive"), col("dcl"), col("load"), col("chart")], W1));
    }
  }
  console.log(
    `  chart drawn = first requestAnimationFrame in which [data-chart].uplot.data[0] has a candle; p95 of ${RUNS} = ${RUNS <= 20 ? "the slowest run" : "nearest rank"}`,
  );

  const total = (l: Load) => [...l.reqs.values()].reduce((s, r) => s + r.wire, 0);
  const netCount = (l: Load) => [...l.reqs.values()].filter((r) => r.type !== "WebSocket" && !r.cache).length;
  const cached = (l: Load) => [...l.reqs.values()].filter((r) => r.cache).length;
  console.log(`\n2. Bytes transferred to load the desk (until the chart has drawn; the WebSocket is not counted)`);
  console.log(
    `  cold: ${Math.round(median(cold.map(total))).toLocaleString()} bytes on the wire, median of ${RUNS} (min ${Math.min(...cold.map(total)).toLocaleString()}, max ${Math.max(...cold.map(total)).toLocaleString()}); ${median(cold.map(netCount))} requests; Resource Timing transferSize ${Math.round(median(cold.map((l) => l.rtBytes))).toLocaleString()}`,
  );
  console.log(
    `  warm: ${Math.round(median(warm.map(total))).toLocaleString()} bytes on the wire, median of ${RUNS}; ${median(warm.map(netCount))} requests to the network, ${median(warm.map(cached))} served from cache; Resource Timing transferSize ${Math.round(median(warm.map((l) => l.rtBytes))).toLocaleString()}`,
  );
  const first = [...cold[0]!.reqs.values()].filter((r) => r.type !== "WebSocket") as (Req & {
    gzip?: number;
    raw?: number;
  })[];
  const W2 = [44, 7, 11, 10, 11, 12, 11];
  console.log(`  cold load, per resource:`);
  console.log("  " + pad(["url", "status", "type", "encoding", "wire B", "body B", "gzip -6 B"], W2));
  for (const r of first) {
    const u = new URL(r.url);
    console.log(
      "  " +
        pad(
          [
            (u.pathname + u.search).slice(0, 43),
            r.status ?? "–",
            r.type,
            r.encoding ?? "none",
            r.wire,
            r.body,
            r.gzip ?? "–",
          ],
          W2,
        ),
    );
  }
  const bodySum = first.reduce((s, r) => s + (r.raw ?? r.body), 0);
  const gzSum = first.reduce((s, r) => s + (r.gzip ?? r.raw ?? r.body), 0);
  const encoded = first.filter((r) => r.encoding);
  const accept = first.find((r) => r.acceptEncoding)?.acceptEncoding;
  console.log(
    `  compression: ${encoded.length} of ${first.length} responses had a content-encoding${accept ? ` (Chromium sent Accept-Encoding: ${accept})` : ""}; bodies ${kb(bodySum)} KB, gzipped ${kb(gzSum)} KB (${((1 - gzSum / bodySum) * 100).toFixed(0)} % less)`,
  );
  const probe = await fetch(`${base}/vendor/uPlot.iife.min.js`, { headers: { "accept-encoding": "gzip, br" } });
  await probe.arrayBuffer();
  console.log(
    `  direct check: GET /vendor/uPlot.iife.min.js with Accept-Encoding: gzip, br → content-encoding ${probe.headers.get("content-encoding") ?? "none"}, cache-control "${probe.headers.get("cache-control")}", etag ${probe.headers.get("etag") ?? "none"}, last-modified ${probe.headers.get("last-modified") ?? "none"}`,
  );
  const warmNet = [...warm[0]!.reqs.values()].filter((r) => r.type !== "WebSocket");
  console.log(
    `  warm load: ${warmNet.map((r) => `${new URL(r.url).pathname} ${r.cache ? `(${r.cache} cache)` : `${r.status} ${r.wire} B`}`).join(", ")}`,
  );
}

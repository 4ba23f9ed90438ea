// The desk-perf benchmark's probes: statistics, network accounting over CDP, one desk load,
// the CPU of every Chromium process.
import { readdirSync, readFileSync } from "node:fs";
import type { BrowserContext, CDPSession, Page } from "playwright-core";

export const DESK = "/desk?account=paper&symbol=MES";
export const SETTLE_MS = 3000; // after load, before a CPU window: socket open, subscriptions, first paints
export const STREAMED = ["MES", "MNQ", "MYM", "M2K", "MCL", "MGC", "ES", "NQ", "GC", "CL"];

/* ---------- small helpers ---------- */

export const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
};
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
export const kb = (n: number) => (n / 1024).toFixed(1);
export const pad = (cells: (string | number)[], widths: number[]) =>
  cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[0]!) : String(c).padStart(widths[i]!))).join("");
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/* ---------- network accounting over CDP ---------- */

export interface Req {
  url: string;
  type: string;
  status?: number;
  encoding?: string;
  /** "memory" | "disk" when Chromium did not go to the network. */
  cache?: string;
  /** Bytes on the wire: headers + (encoded) body, from Network.loadingFinished. */
  wire: number;
  /** Decoded body bytes (Network.dataReceived). */
  body: number;
  done: boolean;
  acceptEncoding?: string;
}

export function trackNetwork(cdp: CDPSession) {
  const reqs = new Map<string, Req>();
  const get = (id: string) => reqs.get(id);
  cdp.on("Network.requestWillBeSent", (e) =>
    reqs.set(e.requestId, { url: e.request.url, type: e.type ?? "Other", wire: 0, body: 0, done: false }),
  );
  cdp.on("Network.requestWillBeSentExtraInfo", (e) => {
    const r = get(e.requestId);
    const h = Object.entries(e.headers).find(([k]) => k.toLowerCase() === "accept-encoding");
    if (r && h) r.acceptEncoding = String(h[1]);
  });
  cdp.on("Network.requestServedFromCache", (e) => {
    const r = get(e.requestId);
    if (r) r.cache = "memory";
  });
  cdp.on("Network.responseReceived", (e) => {
    const r = get(e.requestId);
    if (!r) return;
    r.status = e.response.status;
    const enc = Object.entries(e.response.headers).find(([k]) => k.toLowerCase() === "content-encoding");
    r.encoding = enc ? String(enc[1]) : undefined;
    if (e.response.fromDiskCache) r.cache ??= "disk";
  });
  cdp.on("Network.dataReceived", (e) => {
    const r = get(e.requestId);
    if (r) r.body += e.dataLength;
  });
  cdp.on("Network.loadingFinished", (e) => {
    const r = get(e.requestId);
    if (!r) return;
    r.wire = r.cache ? 0 : e.encodedDataLength;
    r.done = true;
  });
  cdp.on("Network.loadingFailed", (e) => {
    const r = get(e.requestId);
    if (r) r.done = true;
  });
  return reqs;
}

/* ---------- one desk load ---------- */

export interface Load {
  domInteractive: number;
  dcl: number;
  load: number;
  chart: number;
  reqs: Map<string, Req>;
  /** Resource Timing: navigation + resources transferSize. */
  rtBytes: number;
  cdp: CDPSession;
  page: Page;
}

/** Records the first animation frame in which the chart holds candles (desk contexts only). */
export const CHART_PROBE = `(() => {
  const t0 = Date.now();
  const poll = () => {
    const el = document.querySelector("[data-chart]");
    const u = el && el.uplot;
    if (u && u.data && u.data[0] && u.data[0].length > 0) { window.__chartAt = performance.now(); return; }
    if (Date.now() - t0 < 30000) requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
})();`;

export async function loadDesk(context: BrowserContext, base: string): Promise<Load> {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  const reqs = trackNetwork(cdp);
  await cdp.send("Network.enable");
  await page.goto(base + DESK, { waitUntil: "load" });
  await page.waitForFunction(() => (window as unknown as { __chartAt?: number }).__chartAt !== undefined, undefined, {
    timeout: 15_000,
  });
  // Requests still in flight (none expected once the chart has drawn) get a moment to finish.
  for (let i = 0; i < 50 && [...reqs.values()].some((r) => !r.done && r.type !== "WebSocket"); i++) await sleep(20);
  const m = await page.evaluate(() => {
    const n = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
    const res = performance.getEntriesByType("resource") as PerformanceResourceTiming[];
    return {
      domInteractive: n.domInteractive,
      dcl: n.domContentLoadedEventEnd,
      load: n.loadEventEnd,
      chart: (window as unknown as { __chartAt: number }).__chartAt,
      rtBytes: n.transferSize + res.reduce((s, r) => s + r.transferSize, 0),
    };
  });
  return { ...m, reqs, cdp, page };
}

/* ---------- CPU of every Chromium process (/proc) ---------- */

export const CLK_TCK = (() => {
  const out = Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim();
  return Number(out) || 100;
})();

/** utime + stime (seconds) of every descendant of this process (the browser and its children). */
export function chromiumCpuSeconds(): number {
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // f[0] = state (field 3)
      parent.set(Number(d), Number(f[1]));
      ticks.set(Number(d), Number(f[11]) + Number(f[12])); // utime, stime (fields 14, 15)
    } catch {
      // gone meanwhile
    }
  }
  let sum = 0;
  for (const [pid, t] of ticks) {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
      if (p === process.pid) {
        sum += t;
        break;
      }
    }
  }
  return sum / CLK_TCK;
}

/** The desk with everything on: chart and price ladder side by side, the three overlays. */
export const FULL_DESK = { "market-view": "both", "chart-overlays": JSON.stringify(["vwap", "ema", "atr"]) };

/** A browser context whose pages start with these localStorage entries (the desk's choices). */
export async function withStorage(context: BrowserContext, storage: Record<string, string>): Promise<BrowserContext> {
  await context.addInitScript((s: Record<string, string>) => {
    for (const [k, v] of Object.entries(s)) localStorage.setItem(k, v);
  }, storage);
  return context;
}

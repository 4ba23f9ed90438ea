// The desk chart's overlays (public/js/desk/chart-overlays.js), tested here: nothing under public/ but what is served.
import { describe, expect, test } from "bun:test";
import { computeOverlays, overlayState } from "../../public/js/desk/chart-overlays.js";

/** One-minute bars from a seeded walk, crossing a 17:00 CT session open (23:00 UTC in winter). */
function bars(n, seed = 7) {
  let x = seed;
  const rnd = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const t0 = Date.UTC(2026, 11, 3, 21, 0) / 1000;
  const d = [[], [], [], [], [], []];
  let c = 6000;
  for (let i = 0; i < n; i++) {
    const o = c;
    c = o + Math.round((rnd() - 0.5) * 8) * 0.25;
    d[0].push(t0 + i * 60);
    d[1].push(o);
    d[2].push(Math.max(o, c) + 0.25);
    d[3].push(Math.min(o, c) - 0.25);
    d[4].push(c);
    d[5].push(1 + Math.floor(rnd() * 50));
  }
  return d;
}

describe("chart overlays", () => {
  test("computed bar by bar as prints move the last bar and new bars come, they equal a computation from scratch", () => {
    const all = bars(180);
    const compute = overlayState();
    const grow = all.map((a) => a.slice(0, 100));
    compute(grow);
    for (let i = 100; i < all[0].length; i++) {
      // The bar forms over several prints: high, low, close and volume change in place …
      for (const a of grow) a.push(all[grow.indexOf(a)][i]);
      grow[4][i] = grow[1][i];
      grow[5][i] = 1;
      compute(grow);
      // … and ends as the archive has it.
      for (let k = 1; k < 6; k++) grow[k][i] = all[k][i];
      compute(grow);
    }
    const out = compute(grow);
    const fresh = computeOverlays(all);
    expect(out.vwap).toEqual(fresh.vwap);
    expect(out.ema).toEqual(fresh.ema);
    expect(out.upper).toEqual(fresh.upper);
    expect(out.lower).toEqual(fresh.lower);
    // The VWAP starts over at the 17:00 CT open (bar 120: 23:00 UTC): its first value is that bar's typical price.
    expect(fresh.vwap[120]).toBe((all[2][120] + all[3][120] + all[4][120]) / 3);
    expect(fresh.vwap[119]).not.toBe((all[2][119] + all[3][119] + all[4][119]) / 3);
    // Data that does not continue the last (a reload, another interval) is computed from scratch.
    const other = bars(50, 99);
    expect(compute(other).ema).toEqual(computeOverlays(other).ema);
  });
});

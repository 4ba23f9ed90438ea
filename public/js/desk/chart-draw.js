// What the chart draws over uPlot's canvas: candles with faint volume, and the position's
// levels (entry, stop, take-profits) as labelled lines.

export const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

let palette = null;
/** The candle colours, read once (a style lookup per candle per frame cost more than the drawing). */
const colours = () => (palette ??= { up: css("--long"), down: css("--short") });

/** The first and one past the last index of `xs` (ascending) inside the x scale, one bar either side. */
export function visible(u, xs) {
  const { min, max } = u.scales.x;
  const n = xs.length;
  if (min === null || max === null || min === undefined) return [0, n];
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < min) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < n && xs[end] <= max) end++;
  return [Math.max(0, lo - 1), Math.min(n, end + 1)];
}

/**
 * The candles and their volume, from `ohlcv()` = [ts, o, h, l, c, v]: uPlot itself holds only
 * [ts, low, high] (its y range spans lows and highs, so a wick is never cut off).
 */
export const drawCandles = (ohlcv) => (u) => {
  const ctx = u.ctx;
  const d = ohlcv();
  const n = d[0].length;
  if (!n) return;
  const { left, top, height } = u.bbox;
  const xs = d[0];
  const span = n > 1 ? (u.valToPos(xs[n - 1], "x", true) - u.valToPos(xs[0], "x", true)) / (n - 1) : 8;
  const w = Math.max(1, Math.min(14, span * 0.65));
  // Only the bars on screen: a zoomed-in view of 2,000 bars draws the few dozen it shows.
  const [from, to] = visible(u, xs);
  let maxV = 1;
  for (let k = from; k < to; k++) if (d[5][k] > maxV) maxV = d[5][k];
  const { up: upCol, down: downCol } = colours();
  ctx.save();
  for (let i = from; i < to; i++) {
    const x = u.valToPos(xs[i], "x", true);
    if (x < left - w || x > left + u.bbox.width + w) continue;
    const o = d[1][i];
    const h = d[2][i];
    const l = d[3][i];
    const c = d[4][i];
    const up = c >= o;
    const col = up ? upCol : downCol;
    // Volume: the bottom fifth of the plot, faint.
    const vh = (d[5][i] / maxV) * height * 0.18;
    ctx.fillStyle = up ? "rgba(63,182,139,0.25)" : "rgba(229,97,107,0.25)";
    ctx.fillRect(x - w / 2, top + height - vh, w, vh);
    ctx.strokeStyle = col;
    ctx.fillStyle = col;
    ctx.lineWidth = Math.max(1, devicePixelRatio);
    ctx.beginPath();
    ctx.moveTo(Math.round(x) + 0.5, u.valToPos(h, "y", true));
    ctx.lineTo(Math.round(x) + 0.5, u.valToPos(l, "y", true));
    ctx.stroke();
    const yo = u.valToPos(o, "y", true);
    const yc = u.valToPos(c, "y", true);
    ctx.fillRect(x - w / 2, Math.min(yo, yc), w, Math.max(1, Math.abs(yc - yo)));
  }
  ctx.restore();
};

function drawLine(u, price, color, label, dashed, decimals, thick = false) {
  if (price === null || price === undefined) return;
  const ctx = u.ctx;
  const y = Math.round(u.valToPos(price, "y", true)) + 0.5;
  if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) return;
  const px = devicePixelRatio;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = (thick ? 3 : 1) * px;
  if (dashed) ctx.setLineDash([6 * px, 4 * px]);
  ctx.beginPath();
  ctx.moveTo(u.bbox.left, y);
  ctx.lineTo(u.bbox.left + u.bbox.width, y);
  ctx.stroke();
  ctx.setLineDash([]);
  const text = label + " " + price.toFixed(decimals);
  ctx.font = 12 * px + "px system-ui, sans-serif";
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  const tw = ctx.measureText(text).width + 8 * px;
  ctx.fillStyle = color;
  ctx.fillRect(u.bbox.left + u.bbox.width - tw, y - 9 * px, tw, 18 * px);
  ctx.fillStyle = "#0d1117";
  ctx.fillText(text, u.bbox.left + u.bbox.width - tw + 4 * px, y + 0.5 * px);
  ctx.restore();
}

/** The levels, a line being dragged at the pointer's price. `view()` → { lines, drag, decimals }. */
export const drawLines = (view) => (u) => {
  const { lines, drag, hover, decimals } = view();
  // The line under the pointer (it can be dragged) or being dragged is drawn thicker.
  const lit = (kind, index) => (drag ?? hover)?.kind === kind && (drag ?? hover)?.index === index;
  drawLine(u, lines.entry, css("--muted"), "Entry", true, decimals);
  // Resting entry limits (placed from the ticket's API or the price ladder), dashed until they fill.
  for (const w of lines.working || [])
    if (w.purpose === "entry")
      drawLine(
        u,
        w.price,
        w.side === "buy" ? "#7fb8ff" : "#ffa8ae",
        (w.side === "buy" ? "Buy " : "Sell ") + w.qty,
        true,
        decimals,
      );
  for (const t of lines.tps || []) {
    const p = drag && drag.kind === "tp" && drag.index === t.index ? drag.price : t.price;
    const label = "TP" + t.n + (t.status === "filled" ? " ✓" : "");
    const color = t.status === "filled" ? "#2f6f57" : css("--long");
    drawLine(u, p, color, label, t.status !== "armed", decimals, lit("tp", t.index));
  }
  const sp = drag && drag.kind === "stop" ? drag.price : lines.stop;
  drawLine(u, sp, css("--short"), "Stop", false, decimals, lit("stop", null));
};

/** The y range: the candles on screen with the levels and the last price kept in view, padded. */
export const yRange = (lines, tick, last) => (_u, min, max) => {
  // min and max are uPlot's: the lows and highs of the bars in the time window.
  const extra = [lines().entry, lines().stop, last(), ...(lines().tps || []).map((t) => t.price)];
  for (const v of extra) {
    if (v === null || v === undefined) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === max || min === null) {
    min = (min || 0) - tick * 10;
    max = (max || 0) + tick * 10;
  }
  const pad = (max - min) * 0.08;
  return [min - pad, max + pad];
};

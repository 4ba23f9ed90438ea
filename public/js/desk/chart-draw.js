// What the chart draws over uPlot's canvas: candles with faint volume, and the position's
// levels (entry, stop, take-profits) as labelled lines.

export const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

export function drawCandles(u) {
  const ctx = u.ctx;
  const n = u.data[0].length;
  // The first draw can come before setData() has handed over open, close and volume.
  if (!n || !u.data[4] || !u.data[5]) return;
  const { left, top, height } = u.bbox;
  const xs = u.data[0];
  const span = n > 1 ? (u.valToPos(xs[n - 1], "x", true) - u.valToPos(xs[0], "x", true)) / (n - 1) : 8;
  const w = Math.max(1, Math.min(14, span * 0.65));
  let maxV = 1;
  for (let k = 0; k < n; k++) if (u.data[5][k] > maxV) maxV = u.data[5][k];
  ctx.save();
  for (let i = 0; i < n; i++) {
    const x = u.valToPos(xs[i], "x", true);
    if (x < left - w || x > left + u.bbox.width + w) continue;
    const o = u.data[1][i];
    const h = u.data[2][i];
    const l = u.data[3][i];
    const c = u.data[4][i];
    const up = c >= o;
    const col = up ? css("--long") : css("--short");
    // Volume: the bottom fifth of the plot, faint.
    const vh = (u.data[5][i] / maxV) * height * 0.18;
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
}

function drawLine(u, price, color, label, dashed, decimals) {
  if (price === null || price === undefined) return;
  const ctx = u.ctx;
  const y = Math.round(u.valToPos(price, "y", true)) + 0.5;
  if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) return;
  const px = devicePixelRatio;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = px;
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
  const { lines, drag, decimals } = view();
  drawLine(u, lines.entry, css("--muted"), "Entry", true, decimals);
  for (const t of lines.tps || []) {
    const p = drag && drag.kind === "tp" && drag.index === t.index ? drag.price : t.price;
    const label = "TP" + (t.index + 1) + (t.status === "filled" ? " ✓" : "");
    drawLine(u, p, t.status === "filled" ? "#2f6f57" : css("--long"), label, t.status !== "armed", decimals);
  }
  const sp = drag && drag.kind === "stop" ? drag.price : lines.stop;
  drawLine(u, sp, css("--short"), "Stop", false, decimals);
};

/** The y range: the candles with the levels kept on screen, padded. */
export const yRange = (lines, tick) => (_u, min, max) => {
  const extra = [lines().entry, lines().stop, ...(lines().tps || []).map((t) => t.price)];
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

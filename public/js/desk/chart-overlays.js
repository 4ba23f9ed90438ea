// What the chart draws beside the candles: the session separators (17:00 CT), the last price's
// line and label, and the overlays the trader turned on — VWAP of the session, an EMA, and ATR
// bands around it. Each is computed from the candles on screen's data (O(n), at most once a frame).
import { ctHour } from "../../../src/shared/format";
import { css } from "./chart-draw.js";

export const OVERLAYS = ["vwap", "ema", "atr"];
export const EMA_LENGTH = 20;
const ATR_LENGTH = 14;
const ATR_MULT = 2;

/** Where a Globex session starts: the first bar at or after 17:00 CT following one before it. */
export function sessionStarts(ts) {
  const out = [];
  let prevHour = null;
  for (let i = 0; i < ts.length; i++) {
    const h = ctHour(ts[i] * 1000);
    // A new session: 17:00 CT crossed, or a gap of more than an hour (the daily break, a weekend).
    if (i > 0 && ((h >= 17 && prevHour < 17) || ts[i] - ts[i - 1] > 3600)) out.push(i);
    prevHour = h;
  }
  return out;
}

/** [vwap, ema, upper, lower] arrays (null where not yet defined) for data = [ts, o, h, l, c, v]. */
export function computeOverlays(data) {
  const [ts, , hi, lo, cl, vol] = data;
  const n = ts.length;
  const vwap = new Array(n).fill(null);
  const ema = new Array(n).fill(null);
  const upper = new Array(n).fill(null);
  const lower = new Array(n).fill(null);
  const starts = new Set(sessionStarts(ts));
  let pv = 0;
  let vv = 0;
  const k = 2 / (EMA_LENGTH + 1);
  let e = null;
  let atr = null;
  for (let i = 0; i < n; i++) {
    if (starts.has(i)) {
      pv = 0;
      vv = 0;
    }
    const typical = (hi[i] + lo[i] + cl[i]) / 3;
    pv += typical * (vol[i] || 0);
    vv += vol[i] || 0;
    vwap[i] = vv > 0 ? pv / vv : typical;
    e = e === null ? cl[i] : cl[i] * k + e * (1 - k);
    ema[i] = i >= EMA_LENGTH - 1 ? e : null;
    const tr =
      i === 0 ? hi[i] - lo[i] : Math.max(hi[i] - lo[i], Math.abs(hi[i] - cl[i - 1]), Math.abs(lo[i] - cl[i - 1]));
    // Wilder's smoothing, as the server's ATR can be set to.
    atr = atr === null ? tr : (atr * (ATR_LENGTH - 1) + tr) / ATR_LENGTH;
    if (ema[i] !== null && i >= ATR_LENGTH) {
      upper[i] = ema[i] + ATR_MULT * atr;
      lower[i] = ema[i] - ATR_MULT * atr;
    }
  }
  return { vwap, ema, upper, lower };
}

function polyline(u, xs, ys, color, dash) {
  const ctx = u.ctx;
  const px = devicePixelRatio;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = 1.5 * px;
  if (dash) ctx.setLineDash([4 * px, 3 * px]);
  ctx.beginPath();
  let started = false;
  for (let i = 0; i < xs.length; i++) {
    if (ys[i] === null) {
      started = false;
      continue;
    }
    const x = u.valToPos(xs[i], "x", true);
    const y = u.valToPos(ys[i], "y", true);
    if (!started) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
    started = true;
  }
  ctx.stroke();
  ctx.restore();
}

/** The draw hook: separators, overlays (`view()` → { on: Set, overlays, last, decimals }), last price. */
export const drawOverlays = (view) => (u) => {
  const { on, overlays, last, decimals } = view();
  const ts = u.data[0];
  const ctx = u.ctx;
  const px = devicePixelRatio;
  const { top, height, left, width } = u.bbox;
  ctx.save();
  // Inside the plot only: an overlay of bars off screen must not run over the axes.
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  ctx.strokeStyle = "rgba(154,164,178,0.35)";
  ctx.setLineDash([2 * px, 4 * px]);
  ctx.lineWidth = px;
  for (const i of sessionStarts(ts)) {
    const x = Math.round(u.valToPos(ts[i], "x", true)) + 0.5;
    if (x < left || x > left + width) continue;
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
  }
  ctx.setLineDash([]);
  if (overlays) {
    if (on.has("vwap")) polyline(u, ts, overlays.vwap, "#d2a8ff", false);
    if (on.has("ema")) polyline(u, ts, overlays.ema, "#f0b429", false);
    if (on.has("atr")) {
      polyline(u, ts, overlays.upper, "rgba(240,180,41,0.6)", true);
      polyline(u, ts, overlays.lower, "rgba(240,180,41,0.6)", true);
    }
  }
  ctx.restore();
  if (last !== null && last !== undefined) {
    const y = Math.round(u.valToPos(last, "y", true)) + 0.5;
    if (y >= top && y <= top + height) {
      const col = css("--accent") || "#58a6ff";
      ctx.save();
      ctx.strokeStyle = col;
      ctx.lineWidth = px;
      ctx.setLineDash([1 * px, 3 * px]);
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + width, y);
      ctx.stroke();
      ctx.setLineDash([]);
      // The label sits on the price axis, where a trader's eye looks for the last price.
      const text = last.toFixed(decimals);
      ctx.font = 12 * px + "px system-ui, sans-serif";
      const tw = ctx.measureText(text).width + 8 * px;
      ctx.fillStyle = col;
      ctx.fillRect(left + width + 2 * px, y - 9 * px, tw, 18 * px);
      ctx.fillStyle = "#0d1117";
      ctx.textBaseline = "middle";
      ctx.fillText(text, left + width + 6 * px, y + 0.5 * px);
      ctx.restore();
    }
  }
};

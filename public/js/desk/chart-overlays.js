// What the chart draws beside the candles: the session separators (17:00 CT), the last price's
// line and label, and the overlays the trader turned on — VWAP of the session, an EMA, and ATR
// bands around it. Computed from the candles' data at most once a frame, and only from the bar
// that changed on (a print moves the last bar; a new bar adds one): O(1) per frame, not O(n).
import { ctHour } from "../../../src/shared/format";
import { css, visible } from "./chart-draw.js";

export const OVERLAYS = ["vwap", "ema", "atr"];
export const EMA_LENGTH = 20;
const ATR_LENGTH = 14;
const ATR_MULT = 2;

// The hour in Chicago of each UTC hour seen: CT is a whole number of hours from UTC, so every
// moment of a UTC hour has the same CT hour (the formatter behind ctHour is slow per bar).
const hours = new Map();
function hourCT(tsSec) {
  const k = Math.floor(tsSec / 3600);
  let h = hours.get(k);
  if (h === undefined) {
    h = ctHour(k * 3_600_000);
    if (hours.size > 10_000) hours.clear();
    hours.set(k, h);
  }
  return h;
}

/**
 * Does bar i start a Globex session? 17:00 CT crossed since the bar before, or a gap of more than
 * an hour (the daily break, a weekend).
 */
const startsSession = (ts, i) => i > 0 && ((hourCT(ts[i]) >= 17 && hourCT(ts[i - 1]) < 17) || ts[i] - ts[i - 1] > 3600);

/**
 * The overlays of data = [ts, o, h, l, c, v] as arrays (null where not yet defined), kept from
 * one call to the next: bars are only ever appended or the last one changed, so each call
 * computes from the first bar that may differ (the last one, or the new ones), resuming the
 * running sums saved after the bar before it. Anything else (a reload, a seek) starts over.
 */
export function overlayState() {
  const out = { vwap: [], ema: [], upper: [], lower: [] };
  // The running state after each bar: session sums, the EMA and the ATR.
  const run = { pv: [], vv: [], e: [], atr: [] };
  let ts0 = null;
  let n0 = 0;
  let lastTs = null;
  const k = 2 / (EMA_LENGTH + 1);
  return function compute(data) {
    const [ts, , hi, lo, cl, vol] = data;
    const n = ts.length;
    // Where to resume: the last bar seen (it may have moved) if the data only grew or changed there.
    const from = ts0 === ts[0] && n >= n0 && n0 > 0 && ts[n0 - 1] === lastTs ? n0 - 1 : 0;
    if (from === 0) for (const a of [out.vwap, out.ema, out.upper, out.lower]) a.length = 0;
    for (const a of [out.vwap, out.ema, out.upper, out.lower]) a.length = n;
    for (let i = from; i < n; i++) {
      const prev = i > 0;
      const newSession = startsSession(ts, i);
      const pv0 = prev && !newSession ? run.pv[i - 1] : 0;
      const vv0 = prev && !newSession ? run.vv[i - 1] : 0;
      const typical = (hi[i] + lo[i] + cl[i]) / 3;
      const pv = pv0 + typical * (vol[i] || 0);
      const vv = vv0 + (vol[i] || 0);
      run.pv[i] = pv;
      run.vv[i] = vv;
      out.vwap[i] = vv > 0 ? pv / vv : typical;
      const e = prev ? cl[i] * k + run.e[i - 1] * (1 - k) : cl[i];
      run.e[i] = e;
      out.ema[i] = i >= EMA_LENGTH - 1 ? e : null;
      const tr = prev
        ? Math.max(hi[i] - lo[i], Math.abs(hi[i] - cl[i - 1]), Math.abs(lo[i] - cl[i - 1]))
        : hi[i] - lo[i];
      // Wilder's smoothing, as the server's ATR can be set to.
      const atr = prev ? (run.atr[i - 1] * (ATR_LENGTH - 1) + tr) / ATR_LENGTH : tr;
      run.atr[i] = atr;
      const on = out.ema[i] !== null && i >= ATR_LENGTH;
      out.upper[i] = on ? e + ATR_MULT * atr : null;
      out.lower[i] = on ? e - ATR_MULT * atr : null;
    }
    ts0 = n ? ts[0] : null;
    n0 = n;
    lastTs = n ? ts[n - 1] : null;
    return out;
  };
}

/** The overlays of `data` from scratch (tests; the chart keeps an overlayState). */
export const computeOverlays = (data) => {
  const o = overlayState()(data);
  return { vwap: [...o.vwap], ema: [...o.ema], upper: [...o.upper], lower: [...o.lower] };
};

function polyline(u, xs, ys, color, dash) {
  const ctx = u.ctx;
  const px = devicePixelRatio;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = 1.5 * px;
  if (dash) ctx.setLineDash([4 * px, 3 * px]);
  ctx.beginPath();
  let started = false;
  const [from, to] = visible(u, xs);
  for (let i = from; i < to; i++) {
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
  // The separators of the bars on screen only.
  const [from, to] = visible(u, ts);
  for (let i = from; i < to; i++) {
    if (!startsSession(ts, i)) continue;
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

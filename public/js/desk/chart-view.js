// Looking around the chart: the wheel zooms the time axis around the pointer, Shift+wheel (or a
// sideways swipe) pans it, a drag over an empty part of the chart zooms to what it selects, and
// Reset (or a double-click) goes back to following the last bars. While the trader looks back in
// time new prints do not pull the view away; at the right edge it keeps following them.
import { ctStamp } from "../../../src/shared/format";

const FOLLOW_BARS = 240;

/** `chart`: { u, resetBtn, readout, decimals, data() } → { apply(), selected(), cursor() }. */
export function enableView(chart) {
  const { u, resetBtn, readout, decimals } = chart;
  let follow = true;

  const bounds = () => {
    const ts = u.data[0];
    return ts.length ? [ts[0], ts[ts.length - 1]] : null;
  };
  function showFollow() {
    resetBtn.hidden = follow;
  }
  /** The last bars, as many as fit comfortably. */
  function followLast() {
    const ts = u.data[0];
    if (!ts.length) return;
    const from = ts[Math.max(0, ts.length - FOLLOW_BARS)];
    const step = ts.length > 1 ? ts[ts.length - 1] - ts[ts.length - 2] : 60;
    u.setScale("x", { min: from - step, max: ts[ts.length - 1] + step * 3 });
  }
  function setX(min, max) {
    const b = bounds();
    if (!b) return;
    const span = Math.max(max - min, 30);
    const lo = Math.max(b[0] - span * 0.1, min);
    u.setScale("x", { min: lo, max: lo + span });
    // At the right edge again: follow the prints.
    follow = lo + span >= b[1];
    showFollow();
  }

  u.over.addEventListener(
    "wheel",
    (e) => {
      e.preventDefault();
      const { min, max } = u.scales.x;
      const span = max - min;
      const sideways = e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY);
      if (sideways) {
        const d = (e.shiftKey ? e.deltaY : e.deltaX) || e.deltaY;
        const shift = (span * Math.sign(d)) / 10;
        setX(min + shift, max + shift);
        return;
      }
      const rect = u.over.getBoundingClientRect();
      const at = u.posToVal(e.clientX - rect.left, "x");
      const f = e.deltaY < 0 ? 0.8 : 1.25;
      setX(at - (at - min) * f, at + (max - at) * f);
    },
    { passive: false },
  );
  resetBtn.addEventListener("click", () => {
    follow = true;
    showFollow();
    followLast();
  });
  u.over.addEventListener("dblclick", () => resetBtn.click());

  return {
    /** After new data: keep following, or keep the trader's view. */
    apply() {
      if (follow) followLast();
    },
    /** uPlot's drag-select zoomed the x scale: the view is the trader's now. */
    selected() {
      const { min, max } = u.scales.x;
      setX(min, max);
    },
    /** The crosshair's readout: time (CT), O/H/L/C and volume of the bar under the pointer. */
    cursor() {
      const i = u.cursor.idx;
      const d = chart.data();
      if (i === null || i === undefined || !d[0].length || d[1][i] === undefined) {
        readout.textContent = "";
        return;
      }
      const f = (v) => v.toFixed(decimals);
      const y = u.cursor.top >= 0 ? u.posToVal(u.cursor.top, "y") : null;
      readout.textContent =
        ctStamp(d[0][i] * 1000).slice(5) +
        " CT  O " +
        f(d[1][i]) +
        "  H " +
        f(d[2][i]) +
        "  L " +
        f(d[3][i]) +
        "  C " +
        f(d[4][i]) +
        "  V " +
        d[5][i] +
        (y === null ? "" : "  · " + f(y));
    },
  };
}

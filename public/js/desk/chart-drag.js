// Dragging the stop or an armed take-profit line moves it: on release the new price goes to the
// JSON API; a refusal puts the line back where the server has it, with the reason.
import { moveLevel } from "./level-save.js";
import { refresh } from "./state-sync.js";

/** A finger moves a line one tick per this many pixels at least (a mouse: the axis' own scale). */
const TOUCH_PX_PER_TICK = 12;

/** `chart`: { u, tick, decimals, errEl, lines(), setDrag(d) }. */
export function enableDrag(chart) {
  const { u, tick, errEl } = chart;
  let drag = null;

  function nearest(y, reach = 8) {
    let best = null;
    const consider = (kind, index, price) => {
      if (price === null || price === undefined) return;
      const d = Math.abs(u.valToPos(price, "y") - y);
      if (d < reach && (!best || d < best.d)) best = { kind, index, price, d, from: price };
    };
    const lines = chart.lines();
    consider("stop", null, lines.stop);
    for (const t of lines.tps || []) if (t.status === "armed") consider("tp", t.index, t.price);
    return best;
  }
  const set = (d) => {
    drag = d;
    chart.setDrag(d);
  };

  function onDown(e) {
    const rect = u.over.getBoundingClientRect();
    const touch = e.pointerType === "touch";
    // A finger is wider than a line: it takes one from farther away.
    const hit = nearest(e.clientY - rect.top, touch ? 20 : 8);
    if (!hit) return;
    hit.startY = e.clientY;
    hit.touch = touch;
    set(hit);
    try {
      u.over.setPointerCapture(e.pointerId);
    } catch {
      // A pointer the browser no longer tracks: the drag still follows the moves over the chart.
    }
    u.over.classList.add("dragging");
    u.over.addEventListener("pointermove", onMove);
    u.over.addEventListener("pointerup", onUp, { once: true });
    e.preventDefault();
  }
  function onMove(e) {
    const rect = u.over.getBoundingClientRect();
    const pxPerTick = Math.abs(u.valToPos(drag.from, "y") - u.valToPos(drag.from + tick, "y"));
    if (drag.touch && pxPerTick < TOUCH_PX_PER_TICK) {
      // Zoomed out, a pixel is less than a tick: the finger moves the line a tick per 12 px from
      // where it started, so it lands where meant (coarse when zoomed out, the scale's own when in).
      const ticks = Math.round((drag.startY - e.clientY) / TOUCH_PX_PER_TICK);
      drag.price = drag.from + ticks * tick;
    } else drag.price = Math.round(u.posToVal(e.clientY - rect.top, "y") / tick) * tick;
    u.redraw(false);
  }
  function onUp() {
    u.over.removeEventListener("pointermove", onMove);
    u.over.classList.remove("dragging");
    const d = drag;
    const price = Number(d.price.toFixed(chart.decimals));
    if (price === d.from) {
      set(null);
      u.redraw(false);
      return;
    }
    moveLevel(d, price, chart.lines().version)
      .then((res) =>
        res.json().then((body) => {
          set(null);
          if (!res.ok) {
            // Undo: the line goes back to where the server has it, with the reason.
            errEl.textContent = body.message || "refused";
            setTimeout(() => {
              errEl.textContent = "";
            }, 6000);
          } else errEl.textContent = "";
          refresh();
        }),
      )
      .catch(() => {
        set(null);
        errEl.textContent = "not saved: the server did not answer";
        u.redraw(false);
      });
  }
  u.over.addEventListener("pointerdown", onDown);
  // A line that can be dragged says so under the pointer: a grab hand and the line highlighted.
  u.over.addEventListener("pointermove", (e) => {
    if (drag) return;
    const rect = u.over.getBoundingClientRect();
    const hit = nearest(e.clientY - rect.top);
    u.over.classList.toggle("over-line", Boolean(hit));
    const hover = hit ? { kind: hit.kind, index: hit.index } : null;
    if (JSON.stringify(hover) !== JSON.stringify(chart.hover?.() ?? null)) chart.setHover?.(hover);
  });
  u.over.addEventListener("pointerleave", () => {
    u.over.classList.remove("over-line");
    chart.setHover?.(null);
  });
}

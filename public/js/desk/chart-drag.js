// Dragging the stop or an armed take-profit line moves it: on release the new price goes to the
// JSON API; a refusal puts the line back where the server has it, with the reason.
import { moveLevel } from "./level-save.js";
import { refresh } from "./state-sync.js";

/** `chart`: { u, tick, decimals, errEl, lines(), setDrag(d) }. */
export function enableDrag(chart) {
  const { u, tick, errEl } = chart;
  let drag = null;

  function nearest(y) {
    let best = null;
    const consider = (kind, index, price) => {
      if (price === null || price === undefined) return;
      const d = Math.abs(u.valToPos(price, "y") - y);
      if (d < 8 && (!best || d < best.d)) best = { kind, index, price, d, from: price };
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
    const hit = nearest(e.clientY - rect.top);
    if (!hit) return;
    set(hit);
    u.over.setPointerCapture(e.pointerId);
    u.over.classList.add("dragging");
    u.over.addEventListener("pointermove", onMove);
    u.over.addEventListener("pointerup", onUp, { once: true });
    e.preventDefault();
  }
  function onMove(e) {
    const rect = u.over.getBoundingClientRect();
    drag.price = Math.round(u.posToVal(e.clientY - rect.top, "y") / tick) * tick;
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
